package systembench

import (
	"maps"
	"math"
	"slices"
	"time"

	"orderctx/infra/benchkit"
)

// Report is what a run measured; its JSON is the -json output.
type Report struct {
	StartedAt time.Time        `json:"startedAt"`
	Machine   benchkit.Machine `json:"machine"`
	// LoadAverageAfter is the machine's load when the run ended (Machine
	// holds it from the start).
	LoadAverageAfter string       `json:"loadAverageAfter"`
	Config           ConfigReport `json:"config"`
	// Seconds is the load's length (without the drain). Rates divide by it;
	// the consumers' counts and the CPU run until the load's last view was
	// visible (the drain), since that work is the load's too.
	Seconds float64 `json:"seconds"`
	// Commands are the accepted ones (2xx); Reads those answered 200.
	Commands Throughput `json:"commands"`
	Reads    Throughput `json:"reads"`
	// ByKind has a row per kind of request, answered as the mix wanted.
	ByKind    []KindReport              `json:"byKind"`
	Freshness FreshnessReport           `json:"freshness"`
	Consumers map[string]ConsumerReport `json:"consumers"`
	Charge    ChargeReport              `json:"requestCharge"`
	// Errors counts every answer of status 400 or more by status, wanted
	// refusals included ("transport": no answer); Unexpected counts, by
	// "kind: status", the answers the mix did not ask for.
	Errors     map[string]int `json:"errors"`
	Unexpected map[string]int `json:"unexpected"`
	CPU        CPUReport      `json:"cpu"`
	Timeline   []Second       `json:"timeline"`
}

// ConfigReport is the run's configuration.
type ConfigReport struct {
	CommandURL     string  `json:"commandUrl"`
	QueryURL       string  `json:"queryUrl"`
	StatsURL       string  `json:"funchostUrl"`
	Clients        int     `json:"clients"`
	Duration       string  `json:"duration,omitempty"`
	Count          int     `json:"count,omitempty"`
	ReadShare      float64 `json:"readShare"`
	ConflictShare  float64 `json:"conflictShare"`
	InvalidShare   float64 `json:"invalidShare"`
	ReferenceShare float64 `json:"referenceShare"`
	InProcess      bool    `json:"inProcess"`
}

// Latency is a latency summary in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func latencyOf(s benchkit.Summary) Latency {
	return Latency{P50: benchkit.MillisOf(s.P50), P95: benchkit.MillisOf(s.P95), P99: benchkit.MillisOf(s.P99),
		Max: benchkit.MillisOf(s.Max), Mean: benchkit.MillisOf(s.Mean)}
}

// Throughput is a count, its rate and its latency.
type Throughput struct {
	Count     int     `json:"count"`
	PerSecond float64 `json:"perSecond"`
	Latency   Latency `json:"latencyMs"`
}

// KindReport is one kind of request.
type KindReport struct {
	Kind string `json:"kind"`
	Read bool   `json:"read"`
	Throughput
}

// FreshnessReport is the time from a command's answer to its view on /live.
type FreshnessReport struct {
	// Samples counts the accepted commands seen; Early those seen before
	// the bench had noted the answer (counted as 0); NotSeen those not seen
	// by the end of the drain; Resets the /live streams that could not be
	// resumed.
	Samples int     `json:"samples"`
	Early   int     `json:"early"`
	NotSeen int     `json:"notSeen"`
	Resets  int     `json:"resets"`
	Latency Latency `json:"latencyMs"`
}

// ConsumerReport is one function's work over the load, from funchost.
type ConsumerReport struct {
	Events          int64   `json:"events"`
	EventsPerSecond float64 `json:"eventsPerSecond"`
	// MaxBacklog is the most events the bench's accepted commands had
	// appended and the function had not processed yet, over the samples;
	// MaxLagEvents and MaxLagSeconds are funchost's own estimates
	// (changefeed.LeaseStats), which read 0 once a poll found nothing new.
	MaxBacklog    int64   `json:"maxBacklog"`
	MaxLagEvents  int64   `json:"maxLagEvents"`
	MaxLagSeconds float64 `json:"maxLagSeconds"`
	Parked        int64   `json:"parked"`
	RequestCharge float64 `json:"requestCharge"`
}

// ChargeReport is the store's request charge (RU) over the load.
type ChargeReport struct {
	// Commands sums every command answer's X-Request-Charge (refusals
	// included); PerAcceptedCommand divides it by the accepted ones.
	Commands           float64 `json:"commands"`
	PerAcceptedCommand float64 `json:"perAcceptedCommand"`
	// Consumers sums the functions' handler charges (funchost).
	Consumers float64 `json:"consumers"`
}

// CPUReport is the CPU the system and the bench used over the load.
type CPUReport struct {
	// InProcess: the system ran in the bench's process, so Server is zero
	// and Client is both.
	InProcess bool            `json:"inProcess"`
	Processes []ProcessReport `json:"processes"`
	// ServerSeconds is the system processes' CPU; ClientSeconds the bench's.
	ServerSeconds float64 `json:"serverSeconds"`
	ClientSeconds float64 `json:"clientSeconds"`
	// Per accepted command (everything the system did, reads and consumers
	// included, divided by the commands) and per request sent.
	ServerPerCommandMicros float64 `json:"serverPerCommandMicros"`
	ServerPerRequestMicros float64 `json:"serverPerRequestMicros"`
	ClientPerRequestMicros float64 `json:"clientPerRequestMicros"`
	// ServerToClient is server CPU per request over the bench's: the
	// bench's work per request is fixed, so this ratio compares machines.
	ServerToClient float64 `json:"serverToClient"`
}

// ProcessReport is one system process and its CPU over the load.
type ProcessReport struct {
	PID              int     `json:"pid"`
	Name             string  `json:"name"`
	Seconds          float64 `json:"seconds"`
	PerCommandMicros float64 `json:"perCommandMicros"`
}

// Second is one second of the load.
type Second struct {
	Second   int `json:"second"`
	Commands int `json:"commands"`
	Reads    int `json:"reads"`
	// FreshnessP50 and P99 (ms) of the commands accepted in this second;
	// absent when none was seen.
	FreshnessP50 *float64 `json:"freshnessP50Ms,omitempty"`
	FreshnessP99 *float64 `json:"freshnessP99Ms,omitempty"`
	// Backlog, LagEvents and EventsPerSecond per function, sampled at the
	// second's end (ConsumerReport says what each is).
	Backlog         map[string]int64   `json:"backlog,omitempty"`
	LagEvents       map[string]int64   `json:"lagEvents,omitempty"`
	EventsPerSecond map[string]float64 `json:"eventsPerSecond,omitempty"`
	// ServerCores is the system processes' CPU in this second, in cores.
	ServerCores float64 `json:"serverCores"`
}

// build fills the report from what the run collected.
func (r *Report) build(cfg *Config, pids []int, rec *recorder, fresh *freshness, samples []sample, loadEnd time.Duration, final sample) {
	r.LoadAverageAfter = benchkit.LoadAverage()
	r.Config = ConfigReport{CommandURL: cfg.CommandURL, QueryURL: cfg.QueryURL, StatsURL: cfg.StatsURL, Clients: cfg.Clients,
		Count: cfg.Count, ReadShare: cfg.ReadShare, ConflictShare: cfg.ConflictShare, InvalidShare: cfg.InvalidShare, ReferenceShare: cfg.ReferenceShare, InProcess: cfg.InProcess}
	if cfg.Count == 0 {
		r.Config.Duration = cfg.Duration.String()
	}
	r.Seconds = loadEnd.Seconds()
	r.Errors, r.Unexpected = rec.errors, rec.unexpected
	var commands, reads []time.Duration
	for _, kind := range append(slices.Clone(commandKinds), readKinds...) {
		lat := rec.lat[kind]
		read := slices.Contains(readKinds, kind)
		switch {
		case kind == kindReference: // no read: its row stands apart
		case read:
			reads = append(reads, lat...)
		case kind != kindStale && kind != kindDuplicate && kind != kindInvalid:
			commands = append(commands, lat...)
		}
		r.ByKind = append(r.ByKind, KindReport{Kind: kind, Read: read, Throughput: r.throughput(lat)})
	}
	r.Commands, r.Reads = r.throughput(commands), r.throughput(reads)
	r.Charge = ChargeReport{Commands: round2(rec.charge), PerAcceptedCommand: round2(rec.charge / float64(max(rec.accepted, 1)))}
	r.freshness(fresh)
	r.consumers(samples[0], final, samples)
	r.cpu(cfg, pids, rec, samples[0], final)
	r.timeline(rec, fresh, samples)
}

func (r *Report) throughput(lat []time.Duration) Throughput {
	s := benchkit.Summarize(lat)
	return Throughput{Count: s.Count, PerSecond: round2(float64(s.Count) / max(r.Seconds, 1e-9)), Latency: latencyOf(s)}
}

func (r *Report) freshness(f *freshness) {
	ds := make([]time.Duration, len(f.samples))
	for i, s := range f.samples {
		ds[i] = s.d
	}
	r.Freshness = FreshnessReport{Samples: len(ds), Early: f.early, NotSeen: f.outstanding(), Resets: f.resets, Latency: latencyOf(benchkit.Summarize(ds))}
}

// consumers compares the first sample with the last, taken when the load's
// last view was visible (backlog and lag: the highest of every sample).
func (r *Report) consumers(first, last sample, all []sample) {
	if last.functions == nil {
		return
	}
	r.Consumers = map[string]ConsumerReport{}
	for name, end := range last.functions {
		begin := first.functions[name]
		c := ConsumerReport{Events: end.Processed - begin.Processed, Parked: end.Parked - begin.Parked,
			RequestCharge: round2(end.RequestCharge - begin.RequestCharge)}
		c.EventsPerSecond = round2(float64(c.Events) / max(r.Seconds, 1e-9))
		for _, s := range all {
			c.MaxBacklog = max(c.MaxBacklog, backlogOf(first, s, name))
			c.MaxLagEvents = max(c.MaxLagEvents, s.functions[name].LagEvents)
			c.MaxLagSeconds = max(c.MaxLagSeconds, s.functions[name].LagSeconds)
		}
		r.Consumers[name] = c
		r.Charge.Consumers = round2(r.Charge.Consumers + c.RequestCharge)
	}
}

func (r *Report) cpu(cfg *Config, pids []int, rec *recorder, first, last sample) {
	requests := float64(max(rec.commands+rec.reads, 1))
	c := CPUReport{InProcess: cfg.InProcess, ServerSeconds: round2((last.serverCPU - first.serverCPU).Seconds()),
		ClientSeconds: round2((last.selfCPU - first.selfCPU).Seconds())}
	for _, pid := range pids {
		used := (last.byPID[pid] - first.byPID[pid]).Seconds()
		c.Processes = append(c.Processes, ProcessReport{PID: pid, Name: benchkit.ProcessName(pid), Seconds: round2(used),
			PerCommandMicros: round2(used * 1e6 / float64(max(rec.accepted, 1)))})
	}
	c.ClientPerRequestMicros = round2(c.ClientSeconds * 1e6 / requests)
	if len(pids) > 0 {
		c.ServerPerCommandMicros = round2(c.ServerSeconds * 1e6 / float64(max(rec.accepted, 1)))
		c.ServerPerRequestMicros = round2(c.ServerSeconds * 1e6 / requests)
		c.ServerToClient = round2(c.ServerPerRequestMicros / max(c.ClientPerRequestMicros, 1e-9))
	}
	r.CPU = c
}

// timeline puts the load's seconds side by side.
func (r *Report) timeline(rec *recorder, f *freshness, samples []sample) {
	n := max(1, int(r.Seconds)) // whole seconds: a last partial one would read as a drop
	fresh := make([][]time.Duration, n)
	for _, s := range f.samples {
		if i := int(s.at / time.Second); i < n {
			fresh[i] = append(fresh[i], s.d)
		}
	}
	for i := range n {
		sec := Second{Second: i}
		if i < len(rec.perSecond) {
			sec.Commands, sec.Reads = rec.perSecond[i].accepted, rec.perSecond[i].reads
		}
		if len(fresh[i]) > 0 {
			s := benchkit.Summarize(fresh[i])
			p50, p99 := benchkit.MillisOf(s.P50), benchkit.MillisOf(s.P99)
			sec.FreshnessP50, sec.FreshnessP99 = &p50, &p99
		}
		r.Timeline = append(r.Timeline, sec)
	}
	for k := 1; k < len(samples); k++ {
		prev, cur := samples[k-1], samples[k]
		i := int(math.Round(cur.at.Seconds())) - 1
		if i < 0 || i >= n {
			continue
		}
		dt := (cur.at - prev.at).Seconds()
		sec := &r.Timeline[i]
		sec.ServerCores = round2((cur.serverCPU - prev.serverCPU).Seconds() / dt)
		for _, name := range slices.Sorted(maps.Keys(cur.functions)) {
			if sec.LagEvents == nil {
				sec.Backlog, sec.LagEvents, sec.EventsPerSecond = map[string]int64{}, map[string]int64{}, map[string]float64{}
			}
			sec.Backlog[name] = backlogOf(samples[0], cur, name)
			sec.LagEvents[name] = cur.functions[name].LagEvents
			sec.EventsPerSecond[name] = round2(float64(cur.functions[name].Processed-prev.functions[name].Processed) / dt)
		}
	}
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// backlog is how many of the events the bench's commands appended function
// name had not processed at s, counted from first (before the load).
func backlogOf(first, s sample, name string) int64 {
	done := s.functions[name].Processed - first.functions[name].Processed
	return max(0, s.events-done)
}
