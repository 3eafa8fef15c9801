package translator

import (
	"bytes"
	"testing"
	"text/template"
)

// TestFieldTemplateMatchesGo: on every text the fast path accepts, it renders exactly what text/template
// with missingkey=error renders, and fails exactly when it fails.
func TestFieldTemplateMatchesGo(t *testing.T) {
	data := map[string]any{
		"params":   map[string]string{"a": "A", "empty": "", "n": "3"},
		"planName": "p",
		"outputs": map[string]any{
			"x": map[string]any{"httpResponse": map[string]any{"statusCode": float64(202), "body": "ok"}, "nothing": nil, "flag": true},
		},
	}
	cases := []string{
		"", "plain", "{{.planName}}", "{{ .planName }}", "a{{ .params.a }}b{{.params.n}}c", "{{ .params.empty }}",
		"{{ .params.missing }}", "{{ .nope }}", "{{ .planName.x }}", "{{ .outputs.x.httpResponse.statusCode }}",
		"{{ .outputs.x.httpResponse }}", "{{ .outputs.x.nothing }}", "{{ .outputs.x.flag }}", "{{ .outputs.y }}",
		"}} {{ .planName }}}}", "{{ .params.a }}{{ .params.a }}", "{{\t.params.a\n}}",
		// not for the fast path: must fall back
		"{{- .planName }}", "{{ .planName -}}", "{{ index .params \"a\" }}", "{{ if .params.a }}y{{ end }}", "{{ . }}",
		"{{ .params.a | printf \"%s!\" }}", "{{ .params.a-b }}", "{{ $x := 1 }}",
	}
	for _, s := range cases {
		ft, ok := parseFieldTemplate(s)
		if !ok {
			continue
		}
		got, gotErr := ft.execute(data)
		gt := template.Must(template.New("t").Option("missingkey=error").Parse(s))
		var buf bytes.Buffer
		wantErr := gt.Execute(&buf, data)
		if (gotErr != nil) != (wantErr != nil) || (gotErr == nil && got != buf.String()) {
			t.Errorf("%q: fast path %q, %v; text/template %q, %v", s, got, gotErr, buf.String(), wantErr)
		}
	}
	for _, s := range []string{"{{- .planName }}", "{{ index .params \"a\" }}", "{{ if .params.a }}y{{ end }}", "{{ . }}", "{{ .params.a-b }}"} {
		if _, ok := parseFieldTemplate(s); ok {
			t.Errorf("%q must not take the fast path", s)
		}
	}
}
