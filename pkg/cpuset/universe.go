package cpuset

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Universe returns the CPUs this process may use: the intersection of its
// cgroup v2 cpuset.cpus.effective, its cgroup v1 cpuset.effective_cpus and
// /sys/devices/system/cpu/online, each used when readable. These files are
// what the kernel clamps any affinity request to, so the answer is the same
// as upstream's probe (widen the mask to every online CPU, read it back,
// restore) without ever touching a thread's mask — and, unlike
// sched_getaffinity, it is not limited to the narrow mask the daemon may
// have inherited from the load generator.
//
// When no source is readable, or the sources do not overlap, Universe falls
// back to all logical CPUs and logs a warning, as upstream does; pinning is
// then clamped by the kernel. On platforms without an affinity API it is
// all logical CPUs (runtime.NumCPU). A nil log means slog.Default(). The
// error is always nil today; it is kept so callers handle a future failing
// source without an API change.
func Universe(log *slog.Logger) (Set, error) {
	if log == nil {
		log = slog.Default()
	}
	if !Supported() {
		all := span(runtime.NumCPU())
		log.Info("cpuset: no CPU affinity API; workers run unpinned", "cpus", all.String())
		return all, nil
	}
	return hostReader.universe(log), nil
}

// hostReader reads the real /proc, /sys and cgroup mounts.
var hostReader = reader{proc: "/proc", sys: "/sys", cgroupRoot: "/sys/fs/cgroup"}

// reader computes the universe from a file tree, so tests can run it on
// fake trees. All paths are the real locations re-rooted under these
// directories; mount points found in proc/self/mountinfo are used as they
// are written there (fake trees write their own temporary paths).
type reader struct {
	proc       string // /proc
	sys        string // /sys
	cgroupRoot string // where cgroup hierarchies are mounted when mountinfo does not say
}

// source is one constraint on the universe: where it came from, and its CPUs.
type source struct {
	name string
	cpus Set
}

// universe intersects every readable source, falling back to all logical
// CPUs with a warning when there is none or the intersection is empty.
func (r reader) universe(log *slog.Logger) Set {
	var sources []source
	for _, find := range []func(*slog.Logger) (source, bool){r.cgroupV2, r.cgroupV1, r.online} {
		if src, ok := find(log); ok {
			sources = append(sources, src)
		}
	}
	if len(sources) == 0 {
		all := r.logicalCPUs()
		log.Warn("cpuset: no cgroup cpuset or sysfs online list readable; using all logical CPUs (the kernel clamps pinning to the real cpuset)",
			"cpus", all.String())
		return all
	}
	u := sources[0].cpus
	for _, src := range sources[1:] {
		u = u.Intersect(src.cpus)
	}
	if len(u) == 0 {
		all := r.logicalCPUs()
		attrs := []any{"cpus", all.String()}
		for _, src := range sources {
			attrs = append(attrs, src.name, src.cpus.String())
		}
		log.Warn("cpuset: CPU sources do not overlap; using all logical CPUs (the kernel clamps pinning to the real cpuset)", attrs...)
		return all
	}
	return u
}

// online reads sysfs's list of online CPUs: offline CPUs cannot run anything.
func (r reader) online(log *slog.Logger) (source, bool) {
	return r.readList(log, "sysfs.online", filepath.Join(r.sys, "devices/system/cpu/online"))
}

// cgroupV2 reads cpuset.cpus.effective of this process's unified-hierarchy
// cgroup. When the cpuset controller is not enabled for that cgroup the file
// is absent there and the nearest ancestor that has it governs, so the
// search walks up to the mount's root.
func (r reader) cgroupV2(log *slog.Logger) (source, bool) {
	path, ok := r.cgroupPath(func(_, controllers string) bool {
		return controllers == "" // "0::/path"
	})
	if !ok {
		return source{}, false
	}
	mnt, ok := r.mount(func(fstype, _ string) bool { return fstype == "cgroup2" })
	if !ok {
		// Pure v2 mounts the hierarchy at the root, hybrid setups under unified/.
		mnt = mountPoint{dir: filepath.Join(r.cgroupRoot, "unified"), root: "/"}
		if exists(filepath.Join(r.cgroupRoot, "cgroup.controllers")) {
			mnt.dir = r.cgroupRoot
		}
	}
	return r.cgroupFile(log, "cgroup2.cpuset.cpus.effective", mnt, path, "cpuset.cpus.effective")
}

// cgroupV1 reads cpuset.effective_cpus (cpuset.cpus on kernels without it)
// of this process's cgroup in the v1 cpuset hierarchy.
func (r reader) cgroupV1(log *slog.Logger) (source, bool) {
	path, ok := r.cgroupPath(func(hierarchy, controllers string) bool {
		return hierarchy != "0" && hasItem(controllers, "cpuset")
	})
	if !ok {
		return source{}, false
	}
	mnt, ok := r.mount(func(fstype, superOpts string) bool {
		return fstype == "cgroup" && hasItem(superOpts, "cpuset")
	})
	if !ok {
		mnt = mountPoint{dir: filepath.Join(r.cgroupRoot, "cpuset"), root: "/"}
	}
	if src, ok := r.cgroupFile(log, "cgroup1.cpuset.effective_cpus", mnt, path, "cpuset.effective_cpus"); ok {
		return src, true
	}
	return r.cgroupFile(log, "cgroup1.cpuset.cpus", mnt, path, "cpuset.cpus")
}

// cgroupPath returns the cgroup path of this process on the first line of
// proc/self/cgroup ("hierarchy-ID:controllers:path") that match accepts.
func (r reader) cgroupPath(match func(hierarchy, controllers string) bool) (string, bool) {
	data, err := os.ReadFile(filepath.Join(r.proc, "self/cgroup"))
	if err != nil {
		return "", false
	}
	for line := range strings.Lines(string(data)) {
		hierarchy, rest, ok1 := strings.Cut(strings.TrimSpace(line), ":")
		controllers, path, ok2 := strings.Cut(rest, ":")
		if ok1 && ok2 && strings.HasPrefix(path, "/") && match(hierarchy, controllers) {
			return path, true
		}
	}
	return "", false
}

// mountPoint is a mounted cgroup hierarchy: the directory it is mounted on
// and which of the hierarchy's cgroups that directory shows (not "/" inside
// containers without a cgroup namespace).
type mountPoint struct {
	dir, root string
}

// mount returns the first mount in proc/self/mountinfo that match accepts
// by filesystem type and super options.
func (r reader) mount(match func(fstype, superOpts string) bool) (mountPoint, bool) {
	data, err := os.ReadFile(filepath.Join(r.proc, "self/mountinfo"))
	if err != nil {
		return mountPoint{}, false
	}
	for line := range strings.Lines(string(data)) {
		// id parent major:minor root mountpoint opts [optional...] - fstype source superopts
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 3 || !match(g[0], g[2]) {
			continue
		}
		return mountPoint{dir: unescapeMountinfo(f[4]), root: unescapeMountinfo(f[3])}, true
	}
	return mountPoint{}, false
}

// cgroupFile finds file in the directory of cgroup path under mnt, or in
// its nearest ancestor within the mount, and reads it as a CPU list.
func (r reader) cgroupFile(log *slog.Logger, name string, mnt mountPoint, path, file string) (source, bool) {
	rel := "/"
	if mnt.root == "/" {
		rel = path
	} else if after, ok := strings.CutPrefix(path, mnt.root); ok && (after == "" || after[0] == '/') {
		rel = after
	}
	// Clean as an absolute path so "/../x" (a cgroup outside our namespace)
	// cannot climb above the mount.
	rel = filepath.Clean("/" + rel)
	for dir := rel; ; dir = filepath.Dir(dir) {
		full := filepath.Join(mnt.dir, dir, file)
		if exists(full) {
			return r.readList(log, name, full)
		}
		if dir == "/" {
			return source{}, false
		}
	}
}

// readList reads one CPU-list file. Unreadable files are skipped quietly
// (each source is optional); an empty list says nothing about the universe
// (no process can run on no CPU) and is skipped; malformed content is
// skipped with a warning.
func (r reader) readList(log *slog.Logger, name, path string) (source, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			log.Debug("cpuset: source unreadable", "source", name, "path", path, "err", err)
		}
		return source{}, false
	}
	cpus, err := Parse(string(data))
	if err != nil {
		log.Warn("cpuset: ignoring malformed CPU list", "source", name, "path", path, "err", err)
		return source{}, false
	}
	if len(cpus) == 0 {
		log.Debug("cpuset: ignoring empty CPU list", "source", name, "path", path)
		return source{}, false
	}
	log.Debug("cpuset: source", "source", name, "path", path, "cpus", cpus.String())
	return source{name: name, cpus: cpus}, true
}

// logicalCPUs is the last resort: ids 0..n-1 for the larger of the number
// of processors /proc/cpuinfo lists and runtime.NumCPU. NumCPU alone would
// count only the inherited mask; cpuinfo lists every online processor even
// where /sys is hidden.
func (r reader) logicalCPUs() Set {
	n := runtime.NumCPU()
	if data, err := os.ReadFile(filepath.Join(r.proc, "cpuinfo")); err == nil {
		count := 0
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			key, _, ok := strings.Cut(sc.Text(), ":")
			if ok && strings.TrimSpace(key) == "processor" {
				count++
			}
		}
		n = max(n, count)
	}
	return span(n)
}

// span returns the set 0..n-1.
func span(n int) Set {
	s := make(Set, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// hasItem reports whether the comma-separated list contains item.
func hasItem(list, item string) bool {
	for it := range strings.SplitSeq(list, ",") {
		if it == item {
			return true
		}
	}
	return false
}

// unescapeMountinfo decodes the octal escapes (\040 for space, …) the
// kernel writes into mountinfo paths.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// exists reports whether path names an existing file.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
