package tokenize

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// The chat-template files of a model directory (transformers'
// CHAT_TEMPLATE_FILE and CHAT_TEMPLATE_DIR). chat_template.json is read
// only by transformers' processors, never by a tokenizer, so it is not
// here either.
const (
	ChatTemplateFile = "chat_template.jinja"
	ChatTemplateDir  = "additional_chat_templates"
)

// applyChatTemplateFiles gives c the chat templates of dir's files when it
// has any, exactly as transformers' from_pretrained and _from_pretrained
// build tokenizer.chat_template ("independent chat template file(s) take
// priority over template entries in the tokenizer config"):
//
//   - chat_template.jinja is the template named "default";
//   - every regular file NAME.jinja directly in additional_chat_templates/
//     is the template named NAME (hidden files too, as pathlib's glob
//     finds them; an entry that is not a regular file is skipped, as
//     cached_file skips it);
//   - if there are any, they replace tokenizer_config.json's templates
//     entirely: chat_template.jinja alone is the single (str) template,
//     anything else the dict of all of them.
//
// One quirk is kept: transformers files the extra templates under the key
// "chat_template_" + NAME, so additional_chat_templates/file.jinja takes
// the key of chat_template.jinja ("chat_template_file") and is read as the
// "default" template in its place. A template file that is not UTF-8 fails
// the load, as Python's read fails with a UnicodeDecodeError.
func (c *Config) applyChatTemplateFiles(dir string) error {
	defaultPath := filepath.Join(dir, ChatTemplateFile)
	extras, err := templateDirFiles(filepath.Join(dir, ChatTemplateDir))
	if err != nil {
		return err
	}
	if p, ok := extras["file"]; ok {
		defaultPath = p
		delete(extras, "file")
	}
	set := map[string]string{}
	var sources []string
	if src, ok, err := readTemplateFile(defaultPath); err != nil {
		return err
	} else if ok {
		set["default"] = src
		sources = append(sources, ChatTemplateFile)
	}
	names := make([]string, 0, len(extras))
	for name := range extras {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		src, ok, err := readTemplateFile(extras[name])
		if err != nil {
			return err
		}
		if ok {
			set[name] = src
			sources = append(sources, ChatTemplateDir+"/"+name+".jinja")
		}
	}
	if len(set) == 0 {
		return nil
	}
	c.HasChatTemplate = true
	c.ChatTemplateSource = strings.Join(sources, ", ")
	c.ChatTemplate = set["default"]
	c.ChatTemplates = nil
	if _, single := set["default"]; len(set) > 1 || !single {
		c.ChatTemplates = set
	}
	return nil
}

// templateDirFiles maps NAME to the path of every entry NAME.jinja of dir
// (none when dir is not a directory).
func templateDirFiles(dir string) (map[string]string, error) {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read chat templates: %w", err)
	}
	out := map[string]string{}
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".jinja"); ok {
			out[name] = filepath.Join(dir, e.Name())
		}
	}
	return out, nil
}

// readTemplateFile reads a template file; ok is false when path is not a
// regular file (after symlinks).
func readTemplateFile(path string) (src string, ok bool, err error) {
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) || (err == nil && !st.Mode().IsRegular()) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read chat template: %w", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false, fmt.Errorf("read chat template: %w", err)
	}
	if !utf8.Valid(b) {
		return "", false, fmt.Errorf("chat template %s is not valid UTF-8", path)
	}
	return string(b), true, nil
}
