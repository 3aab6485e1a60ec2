package commandapi

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"orderctx/domain/orderapp"
	"orderctx/infra/httpapi"
)

// HeaderRequestCharge carries, on every command's answer, the store's
// request charge of the command (Cosmos DB request units, failed requests
// included), with two decimals.
const HeaderRequestCharge = "X-Request-Charge"

// statsSource is what reports the command side's counters (orderapp.Service).
type statsSource interface{ Stats() orderapp.Stats }

// StatsDocument is the body of GET /debug/stats: the command side's
// counters since the process started.
type StatsDocument struct {
	Commands           int64   `json:"commands"`
	StoreRequests      int64   `json:"storeRequests"`
	RequestsPerCommand float64 `json:"requestsPerCommand"`
	RequestCharge      float64 `json:"requestCharge"`
	// Cache is absent when the state cache is off.
	Cache *CacheDocument `json:"cache,omitempty"`
}

// CacheDocument is the state cache's part of StatsDocument.
type CacheDocument struct {
	Hits      int64   `json:"hits"`
	Misses    int64   `json:"misses"`
	HitRate   float64 `json:"hitRate"`
	Stale     int64   `json:"stale"`
	Evictions int64   `json:"evictions"`
	Entries   int     `json:"entries"`
	Bytes     int64   `json:"bytes"`
}

func statsDocument(st orderapp.Stats) StatsDocument {
	doc := StatsDocument{Commands: st.Commands, StoreRequests: st.StoreRequests,
		RequestsPerCommand: round2(st.RequestsPerCommand()), RequestCharge: round2(st.RequestCharge)}
	if c := st.Cache; c != nil {
		doc.Cache = &CacheDocument{Hits: c.Hits, Misses: c.Misses, Stale: c.Stale, Evictions: c.Evictions, Entries: c.Entries, Bytes: c.Bytes}
		if n := c.Hits + c.Misses; n > 0 {
			doc.Cache.HitRate = round2(float64(c.Hits) / float64(n))
		}
	}
	return doc
}

// serveStats adds GET /debug/stats to the API.
func serveStats(a *API, src statsSource) {
	a.echo.GET("/debug/stats", func(c echo.Context) error {
		return httpapi.WriteJSON(c, http.StatusOK, statsDocument(src.Stats()))
	})
}

// logStats writes the counters to log every interval while commands arrive,
// until ctx ends.
func logStats(ctx context.Context, log *slog.Logger, src statsSource, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	last := int64(-1)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		doc := statsDocument(src.Stats())
		if doc.Commands == last {
			continue
		}
		last = doc.Commands
		attrs := []slog.Attr{slog.Int64("commands", doc.Commands), slog.Int64("storeRequests", doc.StoreRequests),
			slog.Float64("requestsPerCommand", doc.RequestsPerCommand), slog.Float64("ru", doc.RequestCharge)}
		if c := doc.Cache; c != nil {
			attrs = append(attrs, slog.Group("cache", "hits", c.Hits, "misses", c.Misses, "hitRate", c.HitRate,
				"stale", c.Stale, "evictions", c.Evictions, "entries", c.Entries, "bytes", c.Bytes))
		}
		log.LogAttrs(ctx, slog.LevelInfo, "command side statistics", attrs...)
	}
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func formatCharge(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }
