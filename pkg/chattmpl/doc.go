// Package chattmpl renders Hugging Face chat templates exactly as
// transformers' apply_chat_template does (Jinja2 in an
// ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks and loop
// controls; tojson as json.dumps(ensure_ascii=False, ...) in insertion key
// order without HTML escaping; raise_exception; strftime_now; one trailing
// newline of the template source dropped), and counts the rendered text
// with pkg/tokenize the way upstream's BatchTokenizer does
// (_token_count_prompt and _token_count_message, with the prefix/baseline
// subtraction for assistant messages).
//
// Rendering uses github.com/ardanlabs/jinja. Render contexts are built from
// ordered events.Value trees, never from Go maps: key order changes the
// output of tojson and of any template that iterates over a dict.
//
// # Untrusted templates
//
// A chat template may come from the request (PromptData.chat_template) or
// from a downloaded tokenizer_config.json. No Go Jinja engine bounds a
// render: a recursive macro overflows the goroutine stack, which is a fatal
// error for the whole process (recover cannot catch it); range(50_000_000)
// exhausts memory; nested loops cannot be cancelled because the library
// takes no context. The library does bound string and list repetition
// (64 MiB per operation), nothing else. Render therefore must not run in
// the daemon: callers render in a separate worker process with a
// wall-clock limit and a memory limit per render (the shardworker step),
// and treat a timeout or a dead worker as a failed item. A goroutine
// timeout wrapper inside the same process would not help: the runaway
// render keeps its CPU and memory, and a stack overflow still kills the
// process.
package chattmpl
