package web

import (
	"net/url"
	"strconv"

	"github.com/idswap/idswap/views"
)

// pager builds previous/next links that keep every other query parameter.
func pager(u *url.URL, page, size, total int) views.Pager {
	pages := pageCount(total, size)
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

// pageCount is how many pages of size rows total rows fill; an empty list is one empty page.
func pageCount(total, size int) int { return max(1, (total+size-1)/size) }

func atoiDefault(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

// maxPage bounds a page number before any arithmetic: (page-1)*size must stay far inside the
// OFFSET an engine takes (a huge page overflowed to a negative OFFSET, which SQL Server refuses
// with error 10742). No list comes near it; a page past the last is handled by listPage.
const maxPage = 1 << 24

// readPage is a list page's page parameter: a number from 1 (anything else is page 1, as a
// link a person edited by hand should still show a list), capped at maxPage.
func readPage(s string) int { return min(max(1, atoiDefault(s, 1)), maxPage) }

// listPage lists one page of size rows. A page past the last shows the last page: the person
// followed an old link, or edited the address, and wants the end of the list, not an empty
// table that says "page 900 of 3". It returns the rows, the total and the page shown.
func listPage[T any](page, size int, list func(limit, offset int) ([]T, int, error)) ([]T, int, int, error) {
	page = min(max(1, page), maxPage)
	rows, total, err := list(size, (page-1)*size)
	if err != nil {
		return nil, 0, 0, err
	}
	if last := pageCount(total, size); page > last {
		page = last
		if rows, total, err = list(size, (page-1)*size); err != nil {
			return nil, 0, 0, err
		}
	}
	return rows, total, page, nil
}
