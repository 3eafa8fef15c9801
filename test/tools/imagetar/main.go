// Command imagetar builds the operator's image without a container daemon or registry (`make image-tarball`):
// one layer holding the static binary at /manager and the CA bundle at /etc/ssl/certs/ca-certificates.crt, run
// as 65532:65532 with no shell, written as a docker-archive tarball that `docker load -i`, `podman load -i` and
// `ctr images import` read. The same inputs give the same bytes: every timestamp is fixed (SOURCE_DATE_EPOCH,
// default 0) and file owners and modes are set, so two builds of one commit compare equal by sha256.
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// nonRoot is distroless' "nonroot" user and group, which the Deployment's securityContext expects.
const nonRoot = "65532:65532"

type options struct {
	binary, caBundle, tag, out, entrypoint string
	created                                time.Time
}

func main() {
	var o options
	flag.StringVar(&o.binary, "binary", "", "the static linux binary to ship (required)")
	flag.StringVar(&o.caBundle, "ca-bundle", "/etc/ssl/certs/ca-certificates.crt",
		"CA certificates for HTTP actions with TLS verification (empty: none)")
	flag.StringVar(&o.tag, "tag", "drplan-operator:dev", "image reference recorded in the tarball")
	flag.StringVar(&o.out, "out", "", "tarball to write (required)")
	flag.StringVar(&o.entrypoint, "entrypoint", "/manager", "path of the binary in the image")
	flag.Parse()
	epoch := int64(0)
	if v := os.Getenv("SOURCE_DATE_EPOCH"); v != "" {
		var err error
		if epoch, err = strconv.ParseInt(v, 10, 64); err != nil {
			fail(fmt.Errorf("SOURCE_DATE_EPOCH=%q: %w", v, err))
		}
	}
	o.created = time.Unix(epoch, 0).UTC()
	start := time.Now()
	if err := buildImage(o); err != nil {
		fail(err)
	}
	info, _ := os.Stat(o.out)
	fmt.Printf("wrote %s (%s, %d bytes) in %s\n", o.out, o.tag, info.Size(), time.Since(start).Round(time.Millisecond))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "imagetar:", err)
	os.Exit(1)
}

func buildImage(o options) error {
	if o.binary == "" || o.out == "" {
		return errors.New("-binary and -out are required")
	}
	ref, err := name.NewTag(o.tag)
	if err != nil {
		return fmt.Errorf("-tag %q: %w", o.tag, err)
	}
	layerTar, err := layerContents(o)
	if err != nil {
		return err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return fmt.Errorf("building the layer: %w", err)
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: layer, History: v1.History{
		Created: v1.Time{Time: o.created}, CreatedBy: "imagetar: " + o.entrypoint, Comment: "drplan-operator"}})
	if err != nil {
		return err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Created = v1.Time{Time: o.created}
	cfg.Config = v1.Config{
		User:       nonRoot,
		Entrypoint: []string{o.entrypoint},
		WorkingDir: "/",
		Env:        []string{"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
		Labels: map[string]string{
			"org.opencontainers.image.title":       "drplan-operator",
			"org.opencontainers.image.description": "Disaster-recovery runbooks on Argo Workflows for Clusternet estates",
		},
	}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	tmp := o.out + ".tmp"
	if err := tarball.WriteToFile(tmp, ref, img); err != nil {
		return fmt.Errorf("writing %s: %w", o.out, err)
	}
	return os.Rename(tmp, o.out)
}

// layerContents is the layer's tar: the directories, the binary (root-owned, 0755) and the CA bundle, with
// fixed times so the bytes depend on the files' contents only.
func layerContents(o options) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := func(path string) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: path, Mode: 0o755, ModTime: o.created, Format: tar.FormatPAX})
	}
	file := func(path, src string, mode int64) error {
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: path, Mode: mode, Size: int64(len(data)),
			ModTime: o.created, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	}
	// A writable, sticky /tmp as distroless has it: controller-runtime's default webhook certificate
	// directory is under it (the Deployment mounts the certificate there).
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777, ModTime: o.created,
		Format: tar.FormatPAX}); err != nil {
		return nil, err
	}
	if err := file(o.entrypoint[1:], o.binary, 0o755); err != nil {
		return nil, fmt.Errorf("-binary: %w", err)
	}
	if o.caBundle != "" {
		for _, d := range []string{"etc/", "etc/ssl/", "etc/ssl/certs/"} {
			if err := dir(d); err != nil {
				return nil, err
			}
		}
		if err := file("etc/ssl/certs/ca-certificates.crt", o.caBundle, 0o644); err != nil {
			return nil, fmt.Errorf("-ca-bundle: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
