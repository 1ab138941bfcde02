package tokcorpus

// Sentence banks per language. Texts are assembled from these by shuffling,
// re-casing and re-punctuating, so that words meet in varied contexts.
var prose = map[string][]string{
	"en": {
		"The quick brown fox jumps over the lazy dog.",
		"Benchmarks measure time to first token, inter-token latency and throughput.",
		"She said it wasn't the model's fault; the scheduler was misconfigured.",
		"In 1969, humans first walked on the Moon — a giant leap for mankind.",
		"Please re-run the evaluation with temperature 0.0 and top-p 1.0.",
		"They'll arrive at 10:30 a.m. on Tuesday, or so we've been told.",
		"Supercalifragilisticexpialidocious is a word that tokenizers dislike.",
		"Honestly? I'd rather not — but if you insist, I'll do it.",
		"The U.S.A. and the E.U. signed the agreement in Brussels.",
		"Mr. O'Neil's dog—a terrier named \"Biscuit\"—barked at 3 a.m.",
	},
	"de": {
		"Die Donaudampfschifffahrtsgesellschaftskapitänsmütze liegt auf dem Tisch.",
		"Größere Straßen führen über die Brücke nach Köln.",
		"Übermäßiger Verbrauch schadet der Gesundheit, sagte Frau Müller.",
		"Wir haben heute Abend keine Zeit, aber morgen früh passt es.",
	},
	"fr": {
		"L'élève a répondu à la question d'un ton très sûr de lui.",
		"Où est la bibliothèque ? C'est à côté de l'hôpital.",
		"Les œufs, le cœur et l'Œuvre complète de Molière coûtent cher.",
		"Aujourd'hui, j'ai mangé une crème brûlée délicieuse.",
	},
	"es": {
		"¿Dónde está el baño? ¡Necesito ayuda urgentemente!",
		"El niño comió ñoquis con su abuela en Añorbe.",
		"La programación es un arte y también una ciencia exacta.",
	},
	"pt": {
		"A situação é crítica, mas não há razão para pânico.",
		"Ele não sabia que o coração da cidade estava em obras.",
	},
	"it": {
		"Perché l'università è chiusa il lunedì? Non lo so più.",
		"Il caffè è pronto: vuoi anche un po' di latte?",
	},
	"ru": {
		"Съешь же ещё этих мягких французских булок, да выпей чаю.",
		"Модель обрабатывает запросы быстрее, чем ожидалось.",
		"ЁЛКИ-ПАЛКИ! Это была настоящая катастрофа.",
	},
	"uk": {"Їжак їсть ґрунтовні яблука, а Євген п'є чай."},
	"el": {
		"Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.",
		"Η ΑΘΗΝΑ είναι η πρωτεύουσα της Ελλάδας· ναι;",
	},
	"tr": {
		"İstanbul'da ılık bir akşam; ĞÜŞİÖÇ harfleri ğüşiöç olur.",
		"Pijamalı hasta yağız şoföre çabucak güvendi.",
	},
	"vi": {
		"Tiếng Việt có nhiều dấu thanh: à, á, ả, ã, ạ.",
		"Chúng tôi đã hoàn thành dự án trước thời hạn.",
	},
	"pl": {"Zażółć gęślą jaźń, powiedział Łukasz z Łodzi."},
	"he": {"שלום עולם! זהו משפט בעברית עם ניקוד: שָׁלוֹם."},
	"zh": {
		"我们今天讨论大型语言模型的性能评测。",
		"这个模型在推理任务上的表现非常出色，准确率达到了百分之九十五。",
		"人工智能正在改变世界，但我们仍需谨慎。",
		"龍龜鬱齉籲，这些是笔画很多的汉字。",
	},
	"ja": {
		"今日はとても良い天気ですね。散歩に行きましょう。",
		"トークナイザーのテストには、ひらがな・カタカナ・漢字が必要です。",
		"ｶﾀｶﾅの半角文字も混ぜておきます。",
		"東京スカイツリーの高さは634メートルです。",
	},
	"ko": {
		"안녕하세요, 만나서 반갑습니다.",
		"대규모 언어 모델의 토큰 수를 정확하게 세어야 합니다.",
		"한국어는 음절 단위로 조합됩니다: 한글, 훈민정음.",
	},
	"ar": {
		"مرحبا بالعالم! هذه جملة باللغة العربية.",
		"النموذج اللغوي الكبير يعالج النصوص بسرعة عالية جداً.",
		"السَّلامُ عَلَيْكُمْ وَرَحْمَةُ اللهِ وَبَرَكاتُهُ",
		"الرقم ١٢٣٤٥ مكتوب بالأرقام العربية الهندية.",
	},
	"fa": {"این یک جملهٔ فارسی است با اعداد ۱۲۳۴ و نیم\u200cفاصله."},
	"hi": {
		"नमस्ते दुनिया! यह हिंदी में एक वाक्य है।",
		"बड़े भाषा मॉडल टोकन गिनती में सटीक होने चाहिए।",
		"क़ ख़ ग़ ज़ ड़ ढ़ फ़ य़ — नुक़्ता वाले अक्षर।",
		"संख्या ४२ और १२३४५६ देवनागरी अंकों में।",
	},
	"bn": {"আমি বাংলায় গান গাই।"},
	"ta": {"தமிழ் ஒரு பழமையான மொழி."},
	"th": {
		"สวัสดีครับ ยินดีต้อนรับสู่ประเทศไทย",
		"ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ ทำให้การตัดคำยาก",
		"ตัวเลขไทย ๑๒๓๔๕ ก็ใช้ได้",
	},
	"am": {"ሰላም ልዑል! ይህ የአማርኛ ዓረፍተ ነገር ነው።"},
	"ka": {"გამარჯობა მსოფლიო"},
	"hy": {"Բարեւ աշխարհ"},
}

// languageOrder fixes an iteration order over prose (maps are unordered).
var languageOrder = []string{
	"en", "de", "fr", "es", "pt", "it", "ru", "uk", "el", "tr", "vi", "pl", "he",
	"zh", "ja", "ko", "ar", "fa", "hi", "bn", "ta", "th", "am", "ka", "hy",
}

// latinWords are English words used to build contractions, identifiers and
// random prose.
var latinWords = []string{
	"the", "model", "token", "count", "latency", "throughput", "server", "request",
	"answer", "question", "benchmark", "result", "value", "error", "user", "data",
	"it", "is", "a", "of", "and", "to", "in", "that", "we", "you", "they", "he", "she",
	"running", "quickly", "über", "naïve", "café", "résumé", "coöperate", "façade",
	"I", "A", "OK", "HTTP", "JSON", "GPU", "CPU", "LLM", "ISL", "OSL", "TPOT",
	"camelCase", "snake_case", "kebab-case", "PascalCase", "SCREAMING_SNAKE",
}
