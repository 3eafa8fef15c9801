package translator

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
)

// compiledTemplate is a parsed user template.
type compiledTemplate interface {
	execute(data map[string]any) (string, error)
}

// goTemplate is the general case: Go text/template with missingkey=error.
type goTemplate struct{ t *template.Template }

func (g goTemplate) execute(data map[string]any) (string, error) {
	var buf bytes.Buffer
	if err := g.t.Execute(&buf, data); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// fieldTemplate is the common case, text with plain field references such as "https://x/{{ .params.a }}",
// evaluated without text/template: parsing a text/template costs more than everything else one action
// needs. It behaves as text/template with missingkey=error does on the same text (TestFieldTemplateMatchesGo).
type fieldTemplate struct {
	parts []fieldPart
	// inline holds the parts of the usual short template (one or two references), so that the template
	// and its parts are one allocation.
	inline [3]fieldPart
}

type fieldPart struct {
	text string // literal text before the reference
	ref  string // the reference as written without spaces (".a.b"); empty after the last one
}

// parseFieldTemplate returns a fieldTemplate when every action of s is "{{" + spaces + .a.b... + spaces +
// "}}", else false.
func parseFieldTemplate(s string) (*fieldTemplate, bool) {
	t := &fieldTemplate{}
	if n := strings.Count(s, "{{") + 1; n <= len(t.inline) {
		t.parts = t.inline[:0]
	} else {
		t.parts = make([]fieldPart, 0, n)
	}
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			t.parts = append(t.parts, fieldPart{text: s})
			return t, true
		}
		j := strings.Index(s[i+2:], "}}")
		if j < 0 {
			return nil, false
		}
		inner := strings.TrimSpace(s[i+2 : i+2+j])
		if len(inner) < 2 || inner[0] != '.' || s[i+2] == '-' || s[i+2+j-1] == '-' {
			return nil, false
		}
		for rest := inner[1:]; ; {
			field, next, more := strings.Cut(rest, ".")
			if !isParamName(field) {
				return nil, false
			}
			if !more {
				break
			}
			rest = next
		}
		t.parts = append(t.parts, fieldPart{text: s[:i], ref: inner})
		s = s[i+2+j+2:]
	}
}

func (t *fieldTemplate) execute(data map[string]any) (string, error) {
	// Resolve every reference first, then write the result into a builder sized once: growing it part by
	// part cost several allocations per template.
	var stack [4]string
	values := stack[:0]
	size := 0
	for _, p := range t.parts {
		size += len(p.text)
		if p.ref == "" {
			continue
		}
		var v any = data
		for rest := p.ref[1:]; ; {
			f, next, more := strings.Cut(rest, ".")
			switch m := v.(type) {
			case map[string]any:
				x, ok := m[f]
				if !ok {
					return "", fmt.Errorf("template: executing at <%s>: map has no entry for key %q", p.ref, f)
				}
				v = x
			case map[string]string:
				x, ok := m[f]
				if !ok {
					return "", fmt.Errorf("template: executing at <%s>: map has no entry for key %q", p.ref, f)
				}
				v = x
			default:
				return "", fmt.Errorf("template: executing at <%s>: can't evaluate field %s in type %T", p.ref, f, v)
			}
			if !more {
				break
			}
			rest = next
		}
		var value string
		switch x := v.(type) {
		case string:
			value = x
		case nil:
			value = "<no value>"
		default:
			value = fmt.Sprint(x)
		}
		values = append(values, value)
		size += len(value)
	}
	var b strings.Builder
	b.Grow(size)
	k := 0
	for _, p := range t.parts {
		b.WriteString(p.text)
		if p.ref != "" {
			b.WriteString(values[k])
			k++
		}
	}
	return b.String(), nil
}
