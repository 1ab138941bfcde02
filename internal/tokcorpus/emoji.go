package tokcorpus

import "strings"

var (
	emojiBase  = []string{"😀", "😂", "🥲", "🤖", "🚀", "🔥", "✨", "❤", "👍", "👋", "🧑", "👩", "👨", "👧", "👦", "🐈", "🌍", "🎉", "✅", "⚠", "☕", "⭐", "🀄", "🃏", "🅰", "🆗", "🈶", "㊗", "〰", "©", "®", "™", "ℹ", "↔", "▶", "⏩"}
	skinTones  = []string{"\U0001F3FB", "\U0001F3FC", "\U0001F3FD", "\U0001F3FE", "\U0001F3FF"}
	zwjSeqs    = []string{"👨‍👩‍👧‍👦", "👩‍❤️‍💋‍👨", "🧑‍💻", "👩🏽‍🚀", "🏳️‍🌈", "🏴‍☠️", "🐈‍⬛", "👁️‍🗨️", "🧑🏿‍🤝‍🧑🏻", "❤️‍🔥", "😶‍🌫️", "🫱🏼‍🫲🏾"}
	flags      = []string{"🇺🇸", "🇯🇵", "🇩🇪", "🇫🇷", "🇧🇷", "🇮🇳", "🇨🇳", "🇰🇷", "🇪🇺", "🇺🇳", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "🏴󠁧󠁢󠁷󠁬󠁳󠁿"}
	keycaps    = []string{"1️⃣", "#️⃣", "*️⃣", "🔟", "0\u20e3"}
	emojiExtra = []string{"\ufe0f", "\ufe0e", "\u200d", "\u20e3", "\U000E0067", "\U000E007F", "\U0001F1E6", "\U0001F1FF"}
)

// genEmoji writes emoji, skin tones, ZWJ sequences, flags (including tag
// sequences), keycaps, and broken sequences (lone modifiers, dangling ZWJ,
// odd numbers of regional indicators).
func genEmoji(s *sink, r *rng) {
	for _, set := range [][]string{emojiBase, zwjSeqs, flags, keycaps} {
		s.add("all", strings.Join(set, ""))
		s.add("spaced", strings.Join(set, " "))
	}
	for i := 0; i < 90; i++ {
		var b strings.Builder
		for j := r.between(1, 25); j > 0; j-- {
			switch r.intn(9) {
			case 0:
				b.WriteString(pick(r, emojiBase) + pick(r, skinTones))
			case 1:
				b.WriteString(pick(r, zwjSeqs))
			case 2:
				b.WriteString(pick(r, flags))
			case 3:
				b.WriteString(pick(r, keycaps))
			case 4:
				b.WriteString(pick(r, emojiExtra))
			case 5:
				b.WriteString(pick(r, []string{" ", "  ", "\n", "ok", "Yes!", "'s", "42", "。", "لا"}))
			case 6:
				b.WriteString(pick(r, skinTones))
			default:
				b.WriteString(pick(r, emojiBase))
			}
		}
		s.add("mix", b.String())
	}
	s.add("long-zwj", strings.Repeat("👩\u200d", 40)+"👧")
	s.add("long-ri", strings.Repeat("\U0001F1FA", 33))
	s.add("long-skin", strings.Repeat("👍🏽", 50))
}
