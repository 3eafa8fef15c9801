package translator

import "encoding/json"

// parseManifestFast reads the YAML most manifests are written in straight into the map the general path
// (sigs.k8s.io/yaml: yaml.v2 into interface{}, converted, marshalled to JSON, decoded with UseNumber) would
// produce, without the three intermediate representations, which cost a fifth of a compile. It accepts a
// deliberately small subset and returns false for anything else, leaving the input to the general path,
// which then also produces every error message. The subset, all ASCII without tabs or carriage returns:
//
//   - block mappings and block sequences (also a sequence at its key's indentation, and "- key: value"
//     items), one entry or item per line, whole-line comments and blank lines;
//   - single-line flow mappings and sequences ("{name: a, namespace: b}", "[a, b]"), nestable;
//   - keys: plain [A-Za-z_][A-Za-z0-9_./-]* or double-quoted;
//   - values: double-quoted without escapes, single-quoted without quotes inside, plain scalars starting
//     with a letter, "/", "-" and a letter or "--" (strings, or the YAML 1.1 booleans and null yaml.v2
//     resolves), decimal integers without "+" or leading zeros, and empty values (null).
//
// Anything yaml.v2 would resolve differently than text (timestamps, floats, octal, merge keys, tags,
// anchors), block scalars, multi-line scalars, trailing spaces or comments after a value, duplicate keys,
// document markers other than one leading "---", keys over 256 characters and nesting over 64 levels (yaml.v2
// has limits of its own there) are left to the general path. FuzzParseManifestFast holds the
// two paths together.
func parseManifestFast(manifest string) (map[string]any, bool) {
	var stack [48]yamlLine
	lines, ok := splitYAMLLines(manifest, stack[:0])
	if !ok || len(lines) == 0 {
		return nil, false
	}
	p := fastYAMLParser{lines: lines}
	m, ok := p.blockMapping(lines[0].indent, 0)
	if !ok || p.pos != len(lines) {
		return nil, false
	}
	return m, true
}

// yamlLine is a line with content: its indentation and the rest.
type yamlLine struct {
	indent int
	text   string
}

// splitYAMLLines returns the lines that carry content, or false when the text leaves the subset at the
// character level.
func splitYAMLLines(s string, lines []yamlLine) ([]yamlLine, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\n') || c >= 0x7f {
			return nil, false
		}
	}
	first := true
	for len(s) > 0 {
		line := s
		if i := indexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		indent := 0
		for indent < len(line) && line[indent] == ' ' {
			indent++
		}
		text := line[indent:]
		if text == "" || text[0] == '#' {
			continue
		}
		if text[len(text)-1] == ' ' {
			return nil, false
		}
		if indent == 0 && (hasPrefix(text, "---") || hasPrefix(text, "...") || text[0] == '%') {
			if first && text == "---" {
				first = false
				continue
			}
			return nil, false
		}
		first = false
		lines = append(lines, yamlLine{indent: indent, text: text})
	}
	return lines, true
}

type fastYAMLParser struct {
	lines []yamlLine
	pos   int
}

// maxFastDepth bounds nesting (yaml.v2 stops at 10000; manifests stay far below this).
const maxFastDepth = 64

// maxFastKey bounds a key's length: yaml.v2 does not take a key whose ":" comes more than 1024 characters
// after its start.
const maxFastKey = 256

// blockMapping reads the entries at indent, starting at the current line.
func (p *fastYAMLParser) blockMapping(indent, depth int) (map[string]any, bool) {
	if depth > maxFastDepth {
		return nil, false
	}
	m := make(map[string]any, 4)
	for p.pos < len(p.lines) && p.lines[p.pos].indent == indent {
		text := p.lines[p.pos].text
		key, rest, ok := blockKey(text)
		if !ok {
			return nil, false
		}
		if _, dup := m[key]; dup {
			return nil, false
		}
		p.pos++
		var v any
		if rest == "" {
			if v, ok = p.nested(indent, depth+1); !ok {
				return nil, false
			}
		} else {
			if v, ok = inlineValue(rest, depth+1); !ok {
				return nil, false
			}
		}
		m[key] = v
	}
	if p.pos < len(p.lines) && p.lines[p.pos].indent > indent {
		return nil, false
	}
	return m, true
}

// nested reads the block value of a key at indent whose line ended after the colon: a more indented
// mapping or sequence, a sequence at the key's own indentation, or nothing (null).
func (p *fastYAMLParser) nested(indent, depth int) (any, bool) {
	if p.pos >= len(p.lines) {
		return nil, true
	}
	l := p.lines[p.pos]
	switch {
	case l.indent > indent && isSeqItem(l.text), l.indent == indent && isSeqItem(l.text):
		return p.blockSequence(l.indent, depth)
	case l.indent > indent:
		return p.blockMapping(l.indent, depth)
	}
	return nil, true
}

// blockSequence reads the "- " items at indent.
func (p *fastYAMLParser) blockSequence(indent, depth int) (any, bool) {
	if depth > maxFastDepth {
		return nil, false
	}
	list := make([]any, 0, 4)
	for p.pos < len(p.lines) && p.lines[p.pos].indent == indent && isSeqItem(p.lines[p.pos].text) {
		text := p.lines[p.pos].text
		if len(text) < 3 {
			return nil, false // "-" alone: the item's block starts on the next line
		}
		col := indent + 2
		rest := text[2:]
		for rest != "" && rest[0] == ' ' {
			rest = rest[1:]
			col++
		}
		if rest == "" || isSeqItem(rest) {
			return nil, false
		}
		if _, _, ok := blockKey(rest); ok {
			// "- key: ..." starts a mapping whose keys sit at the column of this one.
			p.lines[p.pos] = yamlLine{indent: col, text: rest}
			m, ok := p.blockMapping(col, depth+1)
			if !ok {
				return nil, false
			}
			list = append(list, m)
			continue
		}
		p.pos++
		v, ok := inlineValue(rest, depth+1)
		if !ok {
			return nil, false
		}
		list = append(list, v)
	}
	if p.pos < len(p.lines) && p.lines[p.pos].indent > indent {
		return nil, false
	}
	return list, true
}

func isSeqItem(text string) bool {
	return text[0] == '-' && (len(text) == 1 || text[1] == ' ')
}

// blockKey splits "key: rest" or "key:" into the key and what follows the colon and its spaces.
func blockKey(text string) (key, rest string, ok bool) {
	key, n, ok := scanKey(text)
	if !ok || n >= len(text) || text[n] != ':' {
		return "", "", false
	}
	rest = text[n+1:]
	if rest == "" {
		return key, "", true
	}
	if rest[0] != ' ' {
		return "", "", false
	}
	for rest[0] == ' ' {
		rest = rest[1:] // a line has no trailing spaces, so something follows
	}
	if rest[0] == '#' {
		return "", "", false // a comment after "key:"
	}
	return key, rest, true
}

// scanKey reads a plain or double-quoted key at the start of s and returns it and its length.
func scanKey(s string) (string, int, bool) {
	if s == "" {
		return "", 0, false
	}
	if s[0] == '"' {
		key, n, ok := scanQuoted(s, '"')
		return key, n, ok && n <= maxFastKey
	}
	if c := s[0]; !isLetter(c) && c != '_' {
		return "", 0, false
	}
	n := 1
	for n < len(s) && isKeyChar(s[n]) {
		n++
	}
	key := s[:n]
	if n > maxFastKey || yamlV2Special(key) {
		return "", 0, false // yaml.v2 makes it a boolean or null key
	}
	return key, n, true
}

// scanQuoted reads a quoted scalar without escapes (or doubled single quotes) and returns its text and
// length including the quotes.
func scanQuoted(s string, quote byte) (string, int, bool) {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case quote:
			if quote == '\'' && i+1 < len(s) && s[i+1] == '\'' {
				return "", 0, false
			}
			return s[1:i], i + 1, true
		case '\\':
			if quote == '"' {
				return "", 0, false
			}
		}
	}
	return "", 0, false // not closed on this line
}

// inlineValue reads a value that must take the whole of s.
func inlineValue(s string, depth int) (any, bool) {
	switch s[0] {
	case '{', '[', '"', '\'':
		v, n, ok := flowValue(s, depth)
		if !ok || n != len(s) {
			return nil, false
		}
		return v, true
	}
	// A plain scalar in block context: inner single spaces, and colons not followed by a space.
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isPlainChar(c):
		case c == ':' && i+1 < len(s) && s[i+1] != ' ':
		case c == ' ' && s[i+1] != ' ' && s[i+1] != '#':
			// s has no trailing space, so s[i+1] exists
		default:
			return nil, false
		}
	}
	return resolvePlain(s)
}

// flowValue reads a flow collection, a quoted scalar or a flow plain scalar at the start of s and returns it
// and the length read.
func flowValue(s string, depth int) (any, int, bool) {
	if s == "" || depth > maxFastDepth {
		return nil, 0, false
	}
	switch s[0] {
	case '"', '\'':
		return scanQuoted(s, s[0])
	case '{':
		return flowMapping(s, depth)
	case '[':
		return flowSequence(s, depth)
	}
	// A plain scalar in flow context: no colons, commas, brackets or "?" (yaml.v2 ends a flow plain scalar
	// at "?"); it ends before spaces followed by ",", "}" or "]".
	n := 0
	for n < len(s) {
		c := s[n]
		if isFlowPlainChar(c) {
			n++
			continue
		}
		if c == ' ' && n+1 < len(s) && isFlowPlainChar(s[n+1]) {
			n++
			continue
		}
		break
	}
	if n == 0 {
		return nil, 0, false
	}
	v, ok := resolvePlain(s[:n])
	return v, n, ok
}

// flowMapping reads "{key: value, ...}".
func flowMapping(s string, depth int) (any, int, bool) {
	m := make(map[string]any, 4)
	i := skipSpaces(s, 1)
	if i < len(s) && s[i] == '}' {
		return m, i + 1, true
	}
	for {
		key, n, ok := scanKey(s[i:])
		if !ok {
			return nil, 0, false
		}
		i += n
		if i+1 >= len(s) || s[i] != ':' || s[i+1] != ' ' {
			return nil, 0, false
		}
		i = skipSpaces(s, i+1)
		v, n, ok := flowValue(s[i:], depth+1)
		if !ok {
			return nil, 0, false
		}
		if _, dup := m[key]; dup {
			return nil, 0, false
		}
		m[key] = v
		i = skipSpaces(s, i+n)
		if i >= len(s) {
			return nil, 0, false
		}
		switch s[i] {
		case '}':
			return m, i + 1, true
		case ',':
			if i+1 >= len(s) || s[i+1] != ' ' {
				return nil, 0, false
			}
			i = skipSpaces(s, i+1)
		default:
			return nil, 0, false
		}
	}
}

// flowSequence reads "[value, ...]".
func flowSequence(s string, depth int) (any, int, bool) {
	list := make([]any, 0, 4)
	i := skipSpaces(s, 1)
	if i < len(s) && s[i] == ']' {
		return list, i + 1, true
	}
	for {
		v, n, ok := flowValue(s[i:], depth+1)
		if !ok {
			return nil, 0, false
		}
		list = append(list, v)
		i = skipSpaces(s, i+n)
		if i >= len(s) {
			return nil, 0, false
		}
		switch s[i] {
		case ']':
			return list, i + 1, true
		case ',':
			if i+1 >= len(s) || s[i+1] != ' ' {
				return nil, 0, false
			}
			i = skipSpaces(s, i+1)
		default:
			return nil, 0, false
		}
	}
}

// resolvePlain gives a plain scalar the value yaml.v2's resolve, and then JSON, give it: text starting
// with a letter or "/" is a string unless it is one of yaml.v2's booleans or nulls; decimal integers become
// the json.Number a decode with UseNumber produces. Anything else is left to the general path.
func resolvePlain(s string) (any, bool) {
	c := s[0]
	switch {
	case isLetter(c):
		if v, special := yamlV2Word(s); special {
			return v, true
		}
		if yamlV2Special(s) {
			return nil, false // some other casing of a special word: not worth the doubt
		}
		return s, true
	case c == '/':
		return s, true
	case c == '-' && len(s) > 1 && (isLetter(s[1]) || s[1] == '-'):
		// Flags such as "-v" or "--port": yaml.v2 reads a sign and then digits, "0x", "0b" or "." as a number,
		// never a letter or a second sign.
		return s, true
	case isDecimalInteger(s):
		return json.Number(s), true
	}
	return nil, false
}

// yamlV2Word returns the value of the plain words yaml.v2 (YAML 1.1) resolves to booleans or null, in
// exactly the spellings of its resolve table.
func yamlV2Word(s string) (any, bool) {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
		return true, true
	case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
		return false, true
	case "null", "Null", "NULL":
		return nil, true
	}
	return nil, false
}

// yamlV2Special reports whether s, in any casing, is a word yaml.v2 may resolve to a non-string.
func yamlV2Special(s string) bool {
	return isYAMLSpecialWord(s)
}

// isDecimalInteger matches 0 and [1-9][0-9]* (at most 18 digits: always an int64), optionally negative.
func isDecimalInteger(s string) bool {
	if s[0] == '-' {
		s = s[1:]
		if s == "" || s == "0" {
			return false
		}
	}
	if s == "" || len(s) > 18 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func isKeyChar(c byte) bool {
	return isLetter(c) || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '/' || c == '-'
}

// isPlainChar: characters that, after the first, never end or change a plain scalar in either context.
func isPlainChar(c byte) bool {
	if isKeyChar(c) {
		return true
	}
	switch c {
	case '@', '=', '+', '?', '&', '%', '~', '!', '*', '(', ')', ';', '$':
		return true
	}
	return false
}

// isFlowPlainChar: isPlainChar less "?", which ends a plain scalar in flow context.
func isFlowPlainChar(c byte) bool {
	return c != '?' && isPlainChar(c)
}

func skipSpaces(s string, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }
