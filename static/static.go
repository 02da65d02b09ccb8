// Package static holds the browser's files — pinned htmx, the stylesheet, the icon — embedded
// in the binary and served under names that carry a hash of their content, so they can be
// cached for a year and still change the moment a new build ships.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed *.js *.css *.svg
var files embed.FS

// Prefix is the URL path the files are served under.
const Prefix = "/static/"

// hashed maps a logical name (app.css) to its versioned one (app.1a2b3c4d.css), and back.
var hashed, logical = index()

func index() (map[string]string, map[string]string) {
	h, l := map[string]string{}, map[string]string{}
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		panic(err) // the embed is fixed at build time
	}
	for _, e := range entries {
		b, err := files.ReadFile(e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(e.Name())
		v := strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:4]) + ext
		h[e.Name()], l[v] = v, e.Name()
	}
	return h, l
}

// Path returns the URL of a static file by its logical name, e.g. Path("app.css").
// An unknown name is a programming error and panics at the first render, in tests.
func Path(name string) string {
	v, ok := hashed[name]
	if !ok {
		panic("static: no file " + name)
	}
	return Prefix + v
}

// Handler serves the files under Prefix with a year-long, immutable cache lifetime. A logical
// name without its hash is served too, but not cached, for tools and curious people.
func Handler() http.Handler {
	fsrv := http.FileServerFS(files)
	return http.StripPrefix(Prefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Path
		if real, ok := logical[name]; ok {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			r.URL.Path = real
		} else if _, ok := hashed[name]; ok {
			w.Header().Set("Cache-Control", "no-cache")
		} else {
			http.NotFound(w, r)
			return
		}
		fsrv.ServeHTTP(w, r)
	}))
}
