package translator

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// jsonFastMaxDepth bounds the nesting decodeJSONFast accepts. encoding/json allows 10000 levels, but no
// spec comes near 512, and declining deeper documents keeps the recursion here shallow.
const jsonFastMaxDepth = 512

// decodeJSONFast decodes raw as json.Decoder with UseNumber would (map[string]any, []any, string,
// json.Number, bool, nil), or reports ok=false for anything it does not handle, and the caller then takes
// the encoding/json path (which also gives the error messages).
//
// It exists because decoding action specs with encoding/json (a validating scan, then a reflective decode
// that unquotes every string separately) was a large share of compiling big workflows. Here one pass over
// the bytes builds the document, and every string without escapes (nearly all of them) is a substring of
// a single copy of raw, so strings cost no allocation of their own. That copy stays alive while any of
// those strings does, which for a spec document is about the document's own size.
//
// It accepts exactly one JSON value with optional surrounding JSON whitespace, strings of valid UTF-8
// without control characters, every escape including \u surrogate pairs, and nesting up to
// jsonFastMaxDepth. It declines, rather than emulating encoding/json's repairs, invalid UTF-8 and lone
// surrogates (which encoding/json turns into U+FFFD), and it declines trailing data after the value (which
// json.Decoder would leave unread). Duplicate keys keep the last value, as encoding/json does.
func decodeJSONFast(raw []byte) (doc any, ok bool) {
	d := jsonFastDecoder{raw: raw, str: string(raw), stack: make([]jsonFastMember, 0, 16)}
	d.skipSpace()
	doc, ok = d.value()
	if !ok {
		return nil, false
	}
	d.skipSpace()
	if d.pos != len(raw) {
		return nil, false
	}
	return doc, true
}

// jsonFastDecoder is decodeJSONFast's state for one document.
type jsonFastDecoder struct {
	raw   []byte
	str   string // raw as a string: unescaped strings are slices of it, one allocation for all of them
	pos   int
	depth int
	// stack holds the elements and members of the arrays and objects being built, shared by every level,
	// so that each container is allocated once at its final size instead of growing.
	stack []jsonFastMember
}

// jsonFastMember is an object member or (with no key) an array element under construction.
type jsonFastMember struct {
	key string
	val any
}

// skipSpace skips JSON whitespace, the only kind allowed between tokens.
func (d *jsonFastDecoder) skipSpace() {
	for d.pos < len(d.raw) {
		switch d.raw[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// value decodes the value starting at d.pos (whitespace already skipped).
func (d *jsonFastDecoder) value() (any, bool) {
	if d.pos >= len(d.raw) {
		return nil, false
	}
	switch c := d.raw[d.pos]; c {
	case '{':
		return d.object()
	case '[':
		return d.array()
	case '"':
		s, ok := d.string()
		if !ok {
			return nil, false
		}
		return s, true
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	default:
		if c == '-' || ('0' <= c && c <= '9') {
			return d.number()
		}
		return nil, false
	}
}

// literal consumes lit at d.pos. What follows it is checked by the caller, like after any value.
func (d *jsonFastDecoder) literal(lit string) bool {
	if len(d.raw)-d.pos < len(lit) || d.str[d.pos:d.pos+len(lit)] != lit {
		return false
	}
	d.pos += len(lit)
	return true
}

// number consumes a number by JSON's grammar, -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, and keeps its
// text as json.Number does; its magnitude is never checked, as UseNumber never checks it either.
func (d *jsonFastDecoder) number() (any, bool) {
	raw, start, i := d.raw, d.pos, d.pos
	if raw[i] == '-' {
		i++
	}
	switch {
	case i < len(raw) && raw[i] == '0':
		i++
	case i < len(raw) && '1' <= raw[i] && raw[i] <= '9':
		i = skipDigits(raw, i+1)
	default:
		return nil, false
	}
	if i < len(raw) && raw[i] == '.' {
		j := skipDigits(raw, i+1)
		if j == i+1 {
			return nil, false
		}
		i = j
	}
	if i < len(raw) && (raw[i] == 'e' || raw[i] == 'E') {
		i++
		if i < len(raw) && (raw[i] == '+' || raw[i] == '-') {
			i++
		}
		j := skipDigits(raw, i)
		if j == i {
			return nil, false
		}
		i = j
	}
	d.pos = i
	return json.Number(d.str[start:i]), true
}

// skipDigits returns the index of the first non-digit in raw at or after i.
func skipDigits(raw []byte, i int) int {
	for i < len(raw) && '0' <= raw[i] && raw[i] <= '9' {
		i++
	}
	return i
}

// string decodes the string whose opening quote is at d.pos.
func (d *jsonFastDecoder) string() (string, bool) {
	raw := d.raw
	start := d.pos + 1
	for i := start; i < len(raw); {
		c := raw[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return d.str[start:i], true
		case c == '\\':
			return d.unescape(start, i)
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				return "", false
			}
			i += size
		}
	}
	return "", false
}

// unescape finishes string from its first backslash at i. The result, never longer than its quoted
// form, is built in a builder sized to that, so it costs one allocation. Lone surrogates are declined:
// encoding/json would replace them with U+FFFD.
func (d *jsonFastDecoder) unescape(start, i int) (string, bool) {
	raw := d.raw
	end := i
	for end < len(raw) && raw[end] != '"' {
		if raw[end] == '\\' {
			end++
		}
		end++
	}
	if end >= len(raw) {
		return "", false
	}
	var b strings.Builder
	b.Grow(end - start)
	b.Write(raw[start:i])
	for i < end {
		c := raw[i]
		switch {
		case c == '\\':
			switch raw[i+1] {
			case '"', '\\', '/':
				b.WriteByte(raw[i+1])
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := hex4(raw[:end], i+2)
				if !ok {
					return "", false
				}
				i += 6
				if 0xD800 <= r && r < 0xE000 {
					// Only a high surrogate followed by an escaped low one makes a character.
					if r >= 0xDC00 || i+1 >= end || raw[i] != '\\' || raw[i+1] != 'u' {
						return "", false
					}
					lo, ok := hex4(raw[:end], i+2)
					if !ok || lo < 0xDC00 || lo >= 0xE000 {
						return "", false
					}
					r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
					i += 6
				}
				b.WriteRune(r)
				continue
			default:
				return "", false
			}
			i += 2
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:end])
			if r == utf8.RuneError && size == 1 {
				return "", false
			}
			b.Write(raw[i : i+size])
			i += size
		}
	}
	d.pos = end + 1
	return b.String(), true
}

// hex4 reads the four hex digits of a \u escape at raw[i:].
func hex4(raw []byte, i int) (rune, bool) {
	if len(raw)-i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range raw[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// enter and leave bound the nesting depth.
func (d *jsonFastDecoder) enter() bool {
	d.depth++
	return d.depth <= jsonFastMaxDepth
}

func (d *jsonFastDecoder) leave() { d.depth-- }

// array decodes the array whose '[' is at d.pos. Like encoding/json, an empty array is a non-nil []any{}.
func (d *jsonFastDecoder) array() (any, bool) {
	if !d.enter() {
		return nil, false
	}
	d.pos++
	d.skipSpace()
	base := len(d.stack)
	if d.pos < len(d.raw) && d.raw[d.pos] == ']' {
		d.pos++
		d.leave()
		return []any{}, true
	}
	for {
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		d.stack = append(d.stack, jsonFastMember{val: v})
		more, ok := d.next(']')
		if !ok {
			return nil, false
		}
		if !more {
			break
		}
	}
	out := make([]any, len(d.stack)-base)
	for i, m := range d.stack[base:] {
		out[i] = m.val
	}
	d.pop(base)
	return out, true
}

// next consumes what follows an element or member: ',' (more to come, whitespace after it skipped) or
// closing (the end of the container).
func (d *jsonFastDecoder) next(closing byte) (more, ok bool) {
	d.skipSpace()
	if d.pos >= len(d.raw) {
		return false, false
	}
	switch d.raw[d.pos] {
	case ',':
		d.pos++
		d.skipSpace()
		return true, true
	case closing:
		d.pos++
		return false, true
	}
	return false, false
}

// pop drops the members of the container just built (from base) and leaves its level.
func (d *jsonFastDecoder) pop(base int) {
	clear(d.stack[base:])
	d.stack = d.stack[:base]
	d.leave()
}

// object decodes the object whose '{' is at d.pos. A repeated key keeps its last value, as with
// encoding/json; an empty object is a non-nil map.
func (d *jsonFastDecoder) object() (any, bool) {
	if !d.enter() {
		return nil, false
	}
	d.pos++
	d.skipSpace()
	base := len(d.stack)
	if d.pos < len(d.raw) && d.raw[d.pos] == '}' {
		d.pos++
		d.leave()
		return map[string]any{}, true
	}
	for {
		if d.pos >= len(d.raw) || d.raw[d.pos] != '"' {
			return nil, false
		}
		k, ok := d.string()
		if !ok {
			return nil, false
		}
		d.skipSpace()
		if d.pos >= len(d.raw) || d.raw[d.pos] != ':' {
			return nil, false
		}
		d.pos++
		d.skipSpace()
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		d.stack = append(d.stack, jsonFastMember{key: k, val: v})
		more, ok := d.next('}')
		if !ok {
			return nil, false
		}
		if !more {
			break
		}
	}
	out := make(map[string]any, len(d.stack)-base)
	for _, m := range d.stack[base:] {
		out[m.key] = m.val
	}
	d.pop(base)
	return out, true
}
