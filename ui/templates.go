package ui

import (
	"html/template"
	"strconv"
	"time"
)

// pageNames are the templates under templates/ that are pages; each is
// parsed with the layout and the chart.
var pageNames = []string{"error", "signin", "home", "overview", "settings", "requests", "request", "ledger", "evidence", "holds"}

func parsePages(prefix string) map[string]*template.Template {
	funcs := template.FuncMap{
		// tpath is the address of a tenant's page: tpath "acme" "settings".
		"tpath": func(tenant string, rest ...string) string {
			if len(rest) == 0 {
				return link(prefix, "t", tenant) + "/"
			}
			return link(prefix, append([]string{"t", tenant}, rest...)...)
		},
		"str":    func(n int64) string { return strconv.FormatInt(n, 10) },
		"ts":     func(t any) string { return formatTime(t, "2006-01-02 15:04 UTC") },
		"date":   func(t any) string { return formatTime(t, dateLayout) },
		"status": statusText,
		// count writes "<strong>1</strong> run" or "<strong>3</strong> runs".
		"count": func(n int, one, many string) template.HTML {
			word := many
			if n == 1 {
				word = one
			}
			return template.HTML("<strong>" + strconv.Itoa(n) + "</strong> " + template.HTMLEscapeString(word))
		},
	}
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/chart.html", "templates/"+name+".html"))
	}
	return pages
}

func formatTime(v any, layout string) string {
	switch t := v.(type) {
	case time.Time:
		return t.UTC().Format(layout)
	case *time.Time:
		if t == nil {
			return ""
		}
		return t.UTC().Format(layout)
	default:
		return ""
	}
}

// statusText is a request's status as people read it.
func statusText(status string) string {
	if status == "in_progress" {
		return "in progress"
	}
	return status
}
