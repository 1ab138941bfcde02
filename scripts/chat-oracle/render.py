#!/usr/bin/env python3
"""Chat-template oracle: renders chat templates the way transformers'
apply_chat_template does, with Debian's python3-jinja2 and no transformers.

It reproduces (not imports) the behaviour of
transformers.utils.chat_template_utils (_compile_jinja_template,
render_jinja_template), PreTrainedTokenizerBase.get_chat_template /
apply_chat_template, and upstream's BatchTokenizer._token_count_prompt /
_token_count_message / _load_tokenizer (metrics_aggregator/token_metrics.py).

Input: JSON lines on stdin, output: one JSON line per input, in order,
{"text": RENDERED} or {"error": "Type: message"}.

CONFIG is a tokenizer_config.json path, or a model directory: then its
tokenizer_config.json (if any) and chat-template files are read as
transformers' from_pretrained reads them (chat_template.jinja,
additional_chat_templates/*.jinja; see load_model_dir).

  {"op": "prompt", "config": CONFIG, "messages": [...],
   "tools": [...]|null, "chat_template_kwargs": {...}|null,
   "chat_template": str|null, "tool_choice": ...}
      the text _token_count_prompt tokenizes.
  {"op": "message", "config": PATH, "content": str, "reasoning_content": str|null,
   "tool_calls": [...]|null}
      the text _token_count_message tokenizes ([prefix user, assistant]).
  {"op": "prefix"|"with_assistant", "config": PATH}
      the two baseline renders of _load_tokenizer.
  {"op": "raw", "template": SRC, "context": {...}}
      one render with the given context (no special tokens).
"""

import json
import os
import sys
from datetime import datetime
from pathlib import Path

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment


class AssistantTracker(jinja2.ext.Extension):
    """{% generation %}...{% endgeneration %}: transparent when rendering."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return jinja2.nodes.Scope(body).set_lineno(lineno)


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    return datetime.now().strftime(fmt)


_ENV = ImmutableSandboxedEnvironment(
    trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, jinja2.ext.loopcontrols]
)
_ENV.filters["tojson"] = tojson
_ENV.globals["raise_exception"] = raise_exception
_ENV.globals["strftime_now"] = strftime_now
_COMPILED = {}
_CONFIGS = {}

SPECIAL = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]


def compile_template(src):
    t = _COMPILED.get(src)
    if t is None:
        t = _COMPILED[src] = _ENV.from_string(src)
    return t


def _tok_str(v):
    return v["content"] if isinstance(v, dict) else v


CHAT_TEMPLATE_FILE = "chat_template.jinja"
CHAT_TEMPLATE_DIR = "additional_chat_templates"


def load_model_dir(path):
    """tokenizer_config.json of a model directory with its chat-template
    files applied, following transformers' PreTrainedTokenizerBase:
    from_pretrained collects "chat_template_file" and one
    "chat_template_<name>" entry per additional_chat_templates/*.jinja,
    cached_file keeps those that are files, and _from_pretrained reads
    them into init_kwargs["chat_template"] (a str for chat_template.jinja
    alone, else a dict), replacing the config's."""
    cfg_path = os.path.join(path, "tokenizer_config.json")
    cfg = {}
    if os.path.isfile(cfg_path):
        with open(cfg_path, encoding="utf-8") as f:
            cfg = json.load(f)
    vocab_files = {"chat_template_file": CHAT_TEMPLATE_FILE}
    template_dir = Path(path, CHAT_TEMPLATE_DIR)
    if template_dir.is_dir():
        for template_file in template_dir.glob("*.jinja"):
            template_name = template_file.name.removesuffix(".jinja")
            vocab_files[f"chat_template_{template_name}"] = f"{CHAT_TEMPLATE_DIR}/{template_file.name}"
    resolved = {}
    for file_id, name in vocab_files.items():
        full = os.path.join(path, name)
        resolved[file_id] = full if os.path.isfile(full) else None
    chat_templates = {}
    chat_template_file = resolved.pop("chat_template_file", None)
    extra = [k for k in resolved if k.startswith("chat_template_")]
    if chat_template_file is not None:
        with open(chat_template_file, encoding="utf-8") as f:
            chat_templates["default"] = f.read()
    for key in extra:
        template_file = resolved.pop(key, None)
        if template_file is None:
            continue
        with open(template_file) as f:
            chat_templates[key.removeprefix("chat_template_")] = f.read()
    if len(chat_templates) == 1 and "default" in chat_templates:
        cfg["chat_template"] = chat_templates["default"]
    elif chat_templates:
        cfg["chat_template"] = chat_templates
    return cfg


class Tokenizer:
    """The parts of a PreTrainedTokenizer that apply_chat_template uses."""

    def __init__(self, path):
        if os.path.isdir(path):
            cfg = load_model_dir(path)
        else:
            with open(path, encoding="utf-8") as f:
                cfg = json.load(f)
        ct = cfg.get("chat_template")
        if isinstance(ct, list):
            ct = {t["name"]: t["template"] for t in ct}
        self.chat_template = ct
        self.special_tokens_map = {}
        for name in SPECIAL:
            v = cfg.get(name)
            if v is not None and _tok_str(v):
                self.special_tokens_map[name] = str(_tok_str(v))
        extra = cfg.get("additional_special_tokens")
        if extra:
            self.special_tokens_map["additional_special_tokens"] = [str(_tok_str(v)) for v in extra]

    def get_chat_template(self, chat_template=None, tools=None):
        if isinstance(self.chat_template, dict):
            d = self.chat_template
            if chat_template is not None and chat_template in d:
                return d[chat_template]
            if chat_template is None:
                if tools is not None and "tool_use" in d:
                    return d["tool_use"]
                if "default" in d:
                    return d["default"]
                raise ValueError("no default template")
            return chat_template
        if chat_template is None:
            if self.chat_template is None:
                raise ValueError("tokenizer.chat_template is not set")
            return self.chat_template
        return chat_template

    def apply_chat_template(self, conversation, tools=None, documents=None, chat_template=None,
                            add_generation_prompt=False, continue_final_message=False, tokenize=True,
                            padding=False, truncation=False, max_length=None, return_tensors=None,
                            return_dict=False, return_assistant_tokens_mask=False, tokenizer_kwargs=None,
                            **kwargs):
        if continue_final_message or padding or truncation or max_length or return_assistant_tokens_mask:
            raise ValueError("unsupported apply_chat_template option")
        template = self.get_chat_template(chat_template, tools)
        if isinstance(conversation, (list, tuple)) and (
            isinstance(conversation[0], (list, tuple)) or hasattr(conversation[0], "messages")
        ):
            raise ValueError("batched conversations are not supported")
        template_kwargs = {**self.special_tokens_map, **kwargs}
        tool_schemas = None
        if tools is not None:
            tool_schemas = []
            for tool in tools:
                if not isinstance(tool, dict):
                    raise ValueError("tool is not a dict")
                tool_schemas.append(tool)
        compiled = compile_template(template)
        return compiled.render(
            messages=conversation, tools=tool_schemas, documents=documents,
            add_generation_prompt=add_generation_prompt, **template_kwargs,
        )


def tokenizer(path):
    t = _CONFIGS.get(path)
    if t is None:
        t = _CONFIGS[path] = Tokenizer(path)
    return t


# ---- upstream token_metrics.py behaviour ----

PREFIX_USER_MSG = {"role": "user", "content": ""}


def normalize_tool_calls(tool_calls):
    out = []
    for tc in tool_calls:
        fn = tc.get("function") or {}
        args = fn.get("arguments")
        if isinstance(args, str):
            try:
                parsed = json.loads(args)
            except (json.JSONDecodeError, TypeError):
                out.append(tc)
                continue
            if isinstance(parsed, dict):
                new_tc = dict(tc)
                new_tc["function"] = {**fn, "arguments": parsed}
                out.append(new_tc)
                continue
        out.append(tc)
    return out


def normalize_messages(messages):
    out = []
    for m in messages:
        tcs = m.get("tool_calls")
        if not isinstance(tcs, (list, tuple)) or not tcs:
            out.append(m)
            continue
        out.append({**m, "tool_calls": normalize_tool_calls(tcs)})
    return out


def render_prompt(req):
    tok = tokenizer(req["config"])
    kwargs = dict(req.get("chat_template_kwargs") or {})
    kwargs.update(tokenize=True, add_generation_prompt=True, return_dict=False)
    if req.get("tools") is not None:
        kwargs["tools"] = list(req["tools"])
    if req.get("chat_template") is not None:
        kwargs["chat_template"] = req["chat_template"]
    if req.get("tool_choice") is not None:
        kwargs["tool_choice"] = req["tool_choice"]
    return tok.apply_chat_template(normalize_messages(req["messages"]), **kwargs)


def render_message(req):
    tok = tokenizer(req["config"])
    msg = {"role": "assistant", "content": req.get("content") or ""}
    if req.get("reasoning_content"):
        msg["reasoning_content"] = req["reasoning_content"]
    if req.get("tool_calls"):
        msg["tool_calls"] = normalize_tool_calls(req["tool_calls"])
    return tok.apply_chat_template([PREFIX_USER_MSG, msg], add_generation_prompt=False)


def handle(req):
    op = req["op"]
    if op == "prompt":
        return render_prompt(req)
    if op == "message":
        return render_message(req)
    if op == "prefix":
        return tokenizer(req["config"]).apply_chat_template([PREFIX_USER_MSG], add_generation_prompt=False)
    if op == "with_assistant":
        return tokenizer(req["config"]).apply_chat_template(
            [PREFIX_USER_MSG, {"role": "assistant", "content": ""}], add_generation_prompt=False)
    if op == "raw":
        return compile_template(req["template"]).render(**req["context"])
    raise ValueError(f"unknown op {op!r}")


def main():
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            res = {"text": handle(json.loads(line))}
        except Exception as e:  # noqa: BLE001 - every failure is a result
            res = {"error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(res, ensure_ascii=False) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
