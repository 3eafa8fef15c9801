module github.com/drplan/drplan-operator/test/tools/ansi2html

go 1.26.0

require github.com/buildkite/terminal-to-html/v3 v3.16.8
