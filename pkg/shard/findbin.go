package shard

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// BinName is the file name of the worker binary.
const BinName = "shardworker"

// FindBin locates the worker binary: explicit if set (it must exist and
// be executable), else shardworker next to the running executable (where
// `make build` puts both), else shardworker on $PATH. The error names
// every place it looked.
func FindBin(explicit string) (string, error) {
	name := BinName
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if explicit != "" {
		if err := isExecutable(explicit); err != nil {
			return "", fmt.Errorf("shardworker binary %s: %w", explicit, err)
		}
		return filepath.Abs(explicit)
	}
	var looked []string
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), name)
		if isExecutable(p) == nil {
			return p, nil
		}
		looked = append(looked, p)
	} else {
		looked = append(looked, fmt.Sprintf("next to the executable (unknown: %v)", err))
	}
	if p, err := exec.LookPath(name); err == nil {
		return filepath.Abs(p)
	}
	looked = append(looked, "$PATH")
	return "", fmt.Errorf("shardworker binary not found (looked at %s); build it with `make build` or name it explicitly", strings.Join(looked, ", "))
}

func isExecutable(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return errors.New("not a regular file")
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o111 == 0 {
		return errors.New("not executable")
	}
	return nil
}
