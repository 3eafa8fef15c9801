package main

import (
	"archive/tar"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The operator's image, built as `make image-tarball` builds it: twice from the same binary, byte for byte
// the same; non-root, the binary as entrypoint, no shell; and the binary in it starts without a writable
// temporary directory (a scratch image has none).
func TestOperatorImage(t *testing.T) {
	dir := t.TempDir()
	binary := filepath.Join(dir, "manager")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -buildid=", "-o", binary, "../../../cmd/manager")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the operator: %v\n%s", err, out)
	}
	o := options{binary: binary, caBundle: caBundle(t), tag: "example.com/drplan-operator:test", entrypoint: "/manager",
		created: time.Unix(0, 0).UTC()}
	var sums []string
	for i, out := range []string{filepath.Join(dir, "a.tar"), filepath.Join(dir, "b.tar")} {
		o.out = out
		if i == 1 {
			time.Sleep(1100 * time.Millisecond) // a clock-dependent build would now differ
		}
		if err := buildImage(o); err != nil {
			t.Fatal(err)
		}
		sums = append(sums, sha256File(t, out))
	}
	if sums[0] != sums[1] {
		t.Fatalf("two builds differ: %s vs %s", sums[0], sums[1])
	}

	img, err := tarball.ImageFromPath(o.out, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Config.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532", cfg.Config.User)
	}
	if strings.Join(cfg.Config.Entrypoint, " ") != "/manager" || len(cfg.Config.Cmd) != 0 {
		t.Errorf("entrypoint %q cmd %q, want [/manager] and no cmd", cfg.Config.Entrypoint, cfg.Config.Cmd)
	}
	if cfg.OS != "linux" || cfg.Architecture != "amd64" {
		t.Errorf("platform %s/%s", cfg.OS, cfg.Architecture)
	}

	files := layerFiles(t, img)
	for _, want := range []string{"manager", "etc/ssl/certs/ca-certificates.crt", "tmp/"} {
		if _, ok := files[want]; !ok {
			t.Errorf("the layer has no %s (it has %v)", want, keys(files))
		}
	}
	for name := range files {
		base := filepath.Base(name)
		if base == "sh" || base == "bash" || base == "busybox" || strings.HasPrefix(name, "bin/") || strings.HasPrefix(name, "usr/") {
			t.Errorf("the image has %s: it must have no shell", name)
		}
	}
	if files["manager"].Mode&0o111 == 0 || files["manager"].Uid != 0 {
		t.Errorf("/manager mode %o uid %d, want executable and root-owned (run as 65532)", files["manager"].Mode, files["manager"].Uid)
	}

	extracted := filepath.Join(dir, "from-image")
	if err := os.WriteFile(extracted, files["manager"].data, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(extracted)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("/manager is dynamically linked (%s)", p.Type)
		}
	}
	f.Close()
	// As in the image: no writable temporary directory. An init() of envtest, were it linked, panics here.
	run := exec.Command(extracted, "--help")
	run.Env = []string{"TMPDIR=/proc/no-such-dir", "HOME=/proc/no-such-dir"}
	out, err := run.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "panic: ") || strings.Contains(string(out), "goroutine 1 [") || !strings.Contains(string(out), "-webhook-certs") {
		t.Fatalf("the image's binary did not start cleanly:\n%s", out)
	}
}

type layerFile struct {
	*tar.Header
	data []byte
}

// layerFiles reads every file of every layer of img.
func layerFiles(t *testing.T, img v1.Image) map[string]layerFile {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]layerFile{}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[h.Name] = layerFile{Header: h, data: data}
		}
		rc.Close()
	}
	return files
}

func caBundle(t *testing.T) string {
	t.Helper()
	const path = "/etc/ssl/certs/ca-certificates.crt"
	if _, err := os.Stat(path); err != nil {
		// Any file stands in for the bundle: the test checks where it lands, not what it holds.
		p := filepath.Join(t.TempDir(), "ca.crt")
		if err := os.WriteFile(p, []byte("# no CA bundle on this machine\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return path
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func keys(m map[string]layerFile) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
