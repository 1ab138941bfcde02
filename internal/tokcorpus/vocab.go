package tokcorpus

import "strings"

// English vocabulary for free-form answer sentences. Real LLM answers use
// thousands of distinct words; templates alone would give a few hundred and
// make every word-cache (ours and Hugging Face's) unrealistically effective.
// Roots × affixes give a few thousand plausible words, drawn Zipf-like.
var (
	functionWords = strings.Fields(`the of and to a in is that for it as with was on be by this are or
		from at an but not have has can will which their more one all also its if we you they there
		when these than other into only some such may would should could between each most about
		both after before while because however through over under then so very where what how why`)
	roots = strings.Fields(`access account act adapt add adjust agree align allocate allow analyze
		answer apply approach argue arrange assess assign assume attach attempt balance base behave
		believe benefit bind block boost borrow bound branch break bridge build buffer burst calculate
		call capture care carry cause center change charge check choose claim class clear close cluster
		collect combine comfort command commit compare compile complete compose compress compute concern
		conclude condition conduct configure confirm connect consider consist construct consume contain
		content context continue contract contrast control convert copy correct cost count couple cover
		create credit cross current cycle damage deal debug decide declare decode decrease define delay
		delete deliver demand deploy derive describe design detail detect determine develop differ digest
		direct disable discover display distribute divide document double draft draw drive drop effect
		elect embed emerge emit employ enable encode end engage enhance ensure enter equal estimate
		evaluate event evolve examine exceed exchange execute exist expand expect experiment explain
		explore export express extend extract fail fault feature feed field figure file fill filter final
		finish fit fix flag flow focus fold follow force form format forward frame function gather
		general generate govern grade grant graph group grow guard guide handle harm head help hold host
		identify ignore illustrate image impact implement import improve include increase index indicate
		infer inform initial input insert inspect install instance instruct integrate intend interact
		interest interpret interrupt introduce invest invoke isolate issue join judge keep key label
		launch layer lead learn level limit link list load locate lock log maintain manage map mark match
		measure merge message method migrate minimize model modify monitor move multiply name navigate
		need negotiate network normal note notice number object observe obtain occur offer operate
		optimize order organize origin output overlap own pack parse part pass patch pause perform permit
		persist pick place plan play point poll port position post power predict prefer prepare present
		preserve press prevent price print process produce profile program project promote prompt protect
		prove provide publish pull purchase push qualify query question queue quote raise range rank rate
		reach read reason receive record recover reduce refer reflect register regulate reject relate
		release rely remain remove render repair repeat replace report represent request require reserve
		reset resolve resource respond rest restore restrict result retain retrieve return reveal review
		route rule run sample save scale scan schedule score search secure select send sense separate
		serve set settle shape share shift signal simulate size skip solve sort source span specify split
		stack stage standard start state store stream stress structure submit succeed suggest supply
		support suppose switch sync tag target task test think thread throttle trace track trade train
		transfer transform translate treat trigger trust tune turn type understand update upgrade use
		validate value vary verify view visit wait warn watch weight wrap write yield`)
	prefixes = []string{"", "", "", "", "re", "un", "pre", "over", "under", "de", "mis", "multi", "sub", "inter", "non", "auto", "co", "counter", "hyper", "micro"}
	suffixes = []string{"", "", "", "s", "ed", "ing", "er", "ers", "able", "ation", "ations", "ment", "ments", "ive", "ively", "ly", "ness", "al", "ally", "ize", "ized", "izing", "ization", "ability", "less", "ful"}
)

// zipfWord draws a word: function words half the time, otherwise a root
// with an optional prefix and suffix, lower roots more often.
func zipfWord(r *rng) string {
	if r.chance(50) {
		return functionWords[r.intn(r.intn(len(functionWords))+1)]
	}
	root := roots[r.intn(r.intn(len(roots))+1)]
	w := pick(r, prefixes) + root
	suf := pick(r, suffixes)
	if suf != "" && strings.HasSuffix(w, "e") && strings.ContainsAny(suf[:1], "aeiouy") {
		w = w[:len(w)-1]
	}
	return w + suf
}

// writeFreeSentence writes a sentence of 6-28 vocabulary words with
// occasional capitals, commas, numbers, parentheses and inline code.
func writeFreeSentence(b *strings.Builder, r *rng) {
	n := r.between(6, 28)
	for i := 0; i < n; i++ {
		w := zipfWord(r)
		switch {
		case i == 0:
			w = strings.ToUpper(w[:1]) + w[1:]
		case r.chance(3):
			w = strings.ToUpper(w[:1]) + w[1:]
		case r.chance(2):
			w = "`" + w + "_" + zipfWord(r) + "()`"
		case r.chance(2):
			w = "(" + w + ")"
		case r.chance(2):
			w = strings.ToUpper(w)
		}
		b.WriteString(w)
		if i < n-1 {
			switch {
			case r.chance(8):
				b.WriteString(", ")
			case r.chance(2):
				b.WriteString(" ")
				b.WriteString(pick(r, []string{"1", "2", "3", "10", "42", "100", "2.5", "0.1", "1,024", "99.9%", "4k", "8x", "2024"}))
				b.WriteString(" ")
			default:
				b.WriteString(" ")
			}
		}
	}
	b.WriteString(pick(r, []string{".", ".", ".", ".", "?", "!", ":"}))
}
