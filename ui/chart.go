package ui

import (
	"context"
	"strconv"
	"time"

	"lethe/engine"
	"lethe/ledger"
)

// chartDays is the window of the chart.
const chartDays = 90

// chart is the rows removed and anonymized per day over the chartDays
// days ending with Last, drawn as stacked bars by the "chart" template:
// SVG rendered on the server, so it needs no script.
type chart struct {
	First, Last         string
	Removed, Anonymized int64
	Bars                []bar
	Width, Height       int
	Top, Mid            int64 // the values of the gridlines
	Ticks               []tick
	// Where the grid goes.
	Left, Right, LabelX, TopY, MidY, Base, TickY int
}

type bar struct {
	X, W               int
	RemovedY, RemovedH int
	AnonY, AnonH       int
	Title              string
}

type tick struct {
	X     int
	Label string
}

const (
	barW    = 7
	plotH   = 120
	marginL = 48
	marginT = 8
	marginB = 22
)

// removing and anonymizing are the ledger's reasons for rows that went,
// and rows that stayed masked.
var (
	removing    = map[string]bool{engine.ReasonDelete: true, engine.ReasonRetention: true, engine.ReasonPurge: true, engine.ReasonErasure: true}
	anonymizing = map[string]bool{engine.ReasonAnonymize: true, engine.ReasonRetentionAnonymize: true}
)

// chart draws the tenant's ("" for all) last chartDays days to today.
func (s *server) chart(ctx context.Context, tenant string) (chart, error) {
	last := day(s.now())
	entries, err := s.cfg.Engine.Ledger().List(ctx, ledger.Filter{Tenant: tenant, Since: last.AddDate(0, 0, 1-chartDays), Until: last.AddDate(0, 0, 1)})
	if err != nil {
		return chart{}, err
	}
	return chartFrom(entries, last), nil
}

// chartFrom draws the entries of the chartDays days ending with last;
// entries outside them are left out.
func chartFrom(entries []ledger.Entry, last time.Time) chart {
	last = day(last)
	first := last.AddDate(0, 0, 1-chartDays)
	removed := make([]int64, chartDays)
	anon := make([]int64, chartDays)
	c := chart{First: first.Format(dateLayout), Last: last.Format(dateLayout)}
	for _, e := range entries {
		i := int(day(e.At).Sub(first).Hours() / 24)
		if i < 0 || i >= chartDays {
			continue
		}
		switch {
		case removing[e.Reason]:
			removed[i] += e.Rows
			c.Removed += e.Rows
		case anonymizing[e.Reason]:
			anon[i] += e.Rows
			c.Anonymized += e.Rows
		}
	}
	var peak int64
	for i := range removed {
		peak = max(peak, removed[i]+anon[i])
	}
	c.Top = niceCeil(peak)
	c.Mid = c.Top / 2
	c.Width, c.Height = marginL+chartDays*barW+4, marginT+plotH+marginB
	scale := func(n int64) int { return int(n * plotH / c.Top) }
	base := marginT + plotH
	c.Left, c.Right, c.LabelX = marginL-2, marginL+chartDays*barW, marginL-6
	c.TopY, c.MidY, c.Base, c.TickY = marginT, marginT+plotH/2, base, base+16
	for i := range chartDays {
		d := first.AddDate(0, 0, i)
		b := bar{X: marginL + i*barW, W: barW - 1}
		b.RemovedH = scale(removed[i])
		if removed[i] > 0 && b.RemovedH == 0 {
			b.RemovedH = 1 // a day with work shows
		}
		b.RemovedY = base - b.RemovedH
		b.AnonH = scale(anon[i])
		if anon[i] > 0 && b.AnonH == 0 {
			b.AnonH = 1
		}
		b.AnonY = b.RemovedY - b.AnonH
		b.Title = d.Format(dateLayout) + ": " + strconv.FormatInt(removed[i], 10) + " removed, " + strconv.FormatInt(anon[i], 10) + " anonymized"
		c.Bars = append(c.Bars, b)
		if i%15 == 0 {
			c.Ticks = append(c.Ticks, tick{X: b.X, Label: d.Format("Jan 2")})
		}
	}
	return c
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten, at least 10:
// the value of the scale's top.
func niceCeil(n int64) int64 {
	for top := int64(10); ; top *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if top*m >= n {
				return top * m
			}
		}
	}
}
