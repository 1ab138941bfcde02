package tokcorpus

import "strings"

// largeSize is the size of each large text in bytes (about 1 MB).
const largeSize = 1 << 20

// Large returns three ~1 MB texts: a long LLM transcript, a concatenation
// of the whole small corpus in a shuffled order, and a pathological text of
// 64 KB runs (one long word, digits, spaces, newlines, punctuation, marks on
// one base, unspaced CJK and Thai, emoji) that punishes quadratic
// algorithms and long-word handling.
func Large(seed uint64) []Text {
	r := newRNG(seed).fork(CategoryLarge)
	b := &builder{}
	s := b.category(CategoryLarge)
	s.add("transcript", answer(r, largeSize))
	s.add("mixed", mixedLarge(r, Small(seed)))
	s.add("pathological", pathological(r))
	return b.out
}

func mixedLarge(r *rng, small []Text) string {
	var b strings.Builder
	for b.Len() < largeSize {
		b.WriteString(pick(r, small).Text)
		b.WriteString(pick(r, []string{"", " ", "\n", "\n\n", "\t"}))
	}
	return b.String()
}

func pathological(r *rng) string {
	const run = 64 << 10
	letters := []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéßøå")
	rep := func(n int, f func() string) string {
		var b strings.Builder
		for b.Len() < n {
			b.WriteString(f())
		}
		return b.String()
	}
	parts := []string{
		strings.Repeat("a", run),
		rep(run, func() string { return string(pick(r, letters)) }),
		rep(run, func() string { return string(rune('0' + r.intn(10))) }),
		strings.Repeat(" ", run) + "x",
		strings.Repeat("\n", run/4) + strings.Repeat("\r\n", run/8) + strings.Repeat(" \n", run/8),
		rep(run, func() string {
			return pick(r, []string{"!", "?", "...", "--", "==", "**", "#", "$", "%", "'", "\"", "(", ")", "<", ">"})
		}),
		"e" + rep(run/2, func() string { return string(pick(r, marks)) }),
		rep(run, func() string { return string(rune(r.between(0x4E00, 0x9FA5))) }),
		rep(run, func() string { return string(rune(r.between(0x0E01, 0x0E3A))) }),
		rep(run, func() string { return pick(r, zwjSeqs) + pick(r, emojiBase) + pick(r, skinTones) }),
		strings.Repeat("▁", run/3),
		strings.Repeat("<|im_start|>", 2000) + strings.Repeat("<｜end▁of▁sentence｜>", 1000),
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p)
		b.WriteString("\n")
		b.WriteString(answer(r, 20<<10))
		b.WriteString("\n")
	}
	return b.String()
}
