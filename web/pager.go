package web

import (
	"net/url"
	"strconv"

	"github.com/idswap/idswap/views"
)

// pager builds previous/next links that keep every other query parameter.
func pager(u *url.URL, page, size, total int) views.Pager {
	pages := max(1, (total+size-1)/size)
	p := views.Pager{Page: page, Pages: pages, Total: total}
	link := func(n int) string {
		q := u.Query()
		q.Set("page", strconv.Itoa(n))
		return u.Path + "?" + q.Encode()
	}
	if page > 1 {
		p.PrevURL = link(page - 1)
	}
	if page < pages {
		p.NextURL = link(page + 1)
	}
	return p
}

func atoiDefault(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}
