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
// # Templates
//
// The model's templates are tokenize.Config's, as tokenize.LoadDir builds
// them with transformers' precedence (chat_template.jinja and
// additional_chat_templates/*.jinja over tokenizer_config.json); Select
// picks one per request as get_chat_template does.
//
// # Untrusted templates
//
// A chat template may come from the request (PromptData.chat_template) or
// from a downloaded model. The engine (a patched copy in
// third_party/jinja) raises where Jinja2's sandbox raises: range() over
// more than 100,000 items, recursion beyond what CPython's recursion limit
// allows Jinja2 (macros, caller(), recursive loops), absurdly nested
// source, calls of list and dict methods that mutate (the environment is
// immutable); upstream counts those through its fallback text, and so does
// Counter. What Jinja2 would render without end is not bounded: a loop of
// 3000³ iterations, or output of gigabytes (the library bounds one string
// or list repetition at 64 MiB, not a loop of them); nested loops cannot
// be cancelled because the library takes no context. Render therefore
// must not run in the daemon: callers render in a separate worker process
// with a wall-clock limit and a memory limit per render (the shardworker
// step), and treat a timeout or a dead worker as a failed item. A
// goroutine timeout wrapper inside the same process would not help: the
// runaway render keeps its CPU and memory.
package chattmpl
