package translator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// writeYAML emits a decoded JSON value (map[string]any, []any, string, json.Number, bool, nil and Go
// integers) as block-style YAML with sorted keys. It replaces a JSON -> YAML round trip through a YAML
// library, which dominated compile time. Strings are written plain only when no YAML reader could take them
// for anything else, otherwise double-quoted (Go escapes, which YAML shares).
func writeYAML(obj map[string]any) (string, error) {
	var w yamlWriter
	return w.write(obj)
}

// yamlWriter writes manifests through one buffer reused for every manifest of a compile: each manifest then
// costs one exact-size string instead of a builder grown from empty.
type yamlWriter struct {
	buf bytes.Buffer
}

func (w *yamlWriter) write(obj map[string]any) (string, error) {
	w.buf.Reset()
	if err := yamlMap(&w.buf, obj, 0, false); err != nil {
		return "", err
	}
	return w.buf.String(), nil
}

// yamlMap writes m's entries at indent; with inline the first key continues the current line (a list item).
func yamlMap(b *bytes.Buffer, m map[string]any, indent int, inline bool) error {
	if len(m) == 0 {
		b.WriteString("{}\n")
		return nil
	}
	// Objects have a handful of entries: sort them in a stack array, keys with their values, so that
	// writing them needs no second lookup.
	var stack [16]yamlEntry
	entries := stack[:0]
	for k, v := range m {
		entries = append(entries, yamlEntry{k, v})
	}
	// Insertion sort: objects have a handful of keys, and comparing strings directly beats a sort
	// calling a comparison function.
	for i := 1; i < len(entries); i++ {
		for j := i; j > 0 && entries[j].key < entries[j-1].key; j-- {
			entries[j], entries[j-1] = entries[j-1], entries[j]
		}
	}
	for i := range entries {
		if i > 0 || !inline {
			writeIndent(b, indent)
		}
		yamlString(b, entries[i].key)
		b.WriteByte(':')
		if err := yamlValue(b, entries[i].value, indent); err != nil {
			return err
		}
	}
	return nil
}

type yamlEntry struct {
	key   string
	value any
}

// yamlList writes l's items at indent, as "- item".
func yamlList(b *bytes.Buffer, l []any, indent int) error {
	for _, v := range l {
		writeIndent(b, indent)
		b.WriteByte('-')
		if m, ok := asMap(v); ok && len(m) > 0 {
			b.WriteByte(' ')
			if err := yamlMap(b, m, indent+2, true); err != nil {
				return err
			}
			continue
		}
		if inner, ok := v.([]any); ok && len(inner) > 0 {
			b.WriteByte('\n')
			if err := yamlList(b, inner, indent+2); err != nil {
				return err
			}
			continue
		}
		if err := yamlValue(b, v, indent); err != nil {
			return err
		}
	}
	return nil
}

// yamlValue writes what follows "key:" (the key at indent) or "-": a scalar on the same line, or a nested
// block. Lists under a key sit at the key's indentation, as most YAML writers do.
func yamlValue(b *bytes.Buffer, v any, indent int) error {
	// One type switch for containers and scalars alike: values are mostly strings, which then cost a single
	// type test. Numbers are formatted into a stack buffer.
	var num [32]byte
	switch t := v.(type) {
	case map[string]any:
		return yamlNested(b, t, indent)
	case map[string]string:
		m, _ := asMap(t)
		return yamlNested(b, m, indent)
	case []any:
		if len(t) == 0 {
			b.WriteString(" []\n")
			return nil
		}
		b.WriteByte('\n')
		return yamlList(b, t, indent)
	case nil:
		b.WriteString(" null")
	case string:
		b.WriteByte(' ')
		yamlString(b, t)
	case bool:
		if t {
			b.WriteString(" true")
		} else {
			b.WriteString(" false")
		}
	case json.Number:
		b.WriteByte(' ')
		b.WriteString(t.String())
	case int64:
		b.WriteByte(' ')
		b.Write(strconv.AppendInt(num[:0], t, 10))
	case int32:
		b.WriteByte(' ')
		b.Write(strconv.AppendInt(num[:0], int64(t), 10))
	case int:
		b.WriteByte(' ')
		b.Write(strconv.AppendInt(num[:0], int64(t), 10))
	case float64:
		b.WriteByte(' ')
		b.Write(strconv.AppendFloat(num[:0], t, 'g', -1, 64))
	default:
		return fmt.Errorf("cannot write %T as YAML", v)
	}
	b.WriteByte('\n')
	return nil
}

// yamlNested writes a map value: "{}" on the key's line when empty, else a block indented under the key.
func yamlNested(b *bytes.Buffer, m map[string]any, indent int) error {
	if len(m) == 0 {
		b.WriteString(" {}\n")
		return nil
	}
	b.WriteByte('\n')
	return yamlMap(b, m, indent+2, false)
}

// asMap accepts both map shapes objects are built from.
func asMap(v any) (map[string]any, bool) {
	switch t := v.(type) {
	case map[string]any:
		return t, true
	case map[string]string:
		m := make(map[string]any, len(t))
		for k, s := range t {
			m[k] = s
		}
		return m, true
	}
	return nil, false
}

const yamlSpaces = "                                                                "

func writeIndent(b *bytes.Buffer, n int) {
	for n > len(yamlSpaces) {
		b.WriteString(yamlSpaces)
		n -= len(yamlSpaces)
	}
	b.WriteString(yamlSpaces[:n])
}

// The special words are the plain scalars YAML 1.1 or 1.2 readers turn into booleans or null: y, n, yes, no,
// true, false, on, off, null (see isYAMLSpecialWord).

// yamlString writes s plain when it starts with a letter, uses only [A-Za-z0-9._/-], inner single spaces and
// colons not followed by a space, and is not a special word; otherwise double-quoted.
func yamlString(b *bytes.Buffer, s string) {
	if isPlainYAML(s) {
		b.WriteString(s)
		return
	}
	// Go's quoting escapes (\n, \t, \", \\, \xXX, \uXXXX, \UXXXXXXXX, \a, \b, \f, \r, \v) are all YAML
	// double-quoted escapes, and it is much cheaper than encoding/json.
	var buf [64]byte
	b.Write(strconv.AppendQuote(buf[:0], s))
}

// isYAMLSpecialWord reports whether s, in any case, is one of the special words. The words are short, so
// longer strings are answered without lowering them (strings.ToLower allocates for every key with a capital).
func isYAMLSpecialWord(s string) bool {
	const longest = 5 // "false"
	if len(s) == 0 || len(s) > longest {
		return false
	}
	switch s[0] | 0x20 { // every special word starts with one of these letters, in either case
	case 'y', 'n', 't', 'f', 'o':
	default:
		return false
	}
	var lower [longest]byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	// A switch on the lowered bytes: no hashing, and the conversion does not allocate.
	switch string(lower[:len(s)]) {
	case "y", "n", "yes", "no", "true", "false", "on", "off", "null":
		return true
	}
	return false
}

func isPlainYAML(s string) bool {
	if s == "" || isYAMLSpecialWord(s) {
		return false
	}
	c := s[0]
	if !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
		return false
	}
	last := len(s) - 1
	for i := 1; i <= last; i++ {
		c := s[i]
		switch {
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '/' || c == '-':
		case c == ' ' && i < last && s[i+1] != ' ':
			// inner single spaces: "echo hello"
		case c == ':' && i < last && s[i+1] != ' ':
			// "busybox:1.36"; ": " would start a mapping
		default:
			return false
		}
	}
	return true
}
