package rebuild

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"orderctx/domain/es"
	"orderctx/functions/projector"
	"orderctx/infra/claim"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/deadletters"
	"orderctx/infra/replay"
	"orderctx/infra/viewpointer"
	"orderctx/infra/viewstore"
)

// ViewsOptions tune a views rebuild; zero values take the defaults.
type ViewsOptions struct {
	// Container is the new views container (default: the next generation
	// after the active one: views-2 after views, views-4 after views-3). It
	// may exist already only when named here (created beforehand by
	// infrastructure as code).
	Container string
	// DropOld drops the old container once nothing uses it; by default it
	// is kept (a switch back is then one pointer write away).
	DropOld bool
	// AllowDifferences switches even when the new views differ from the
	// live ones at the same version (a rebuild meant to change them).
	AllowDifferences bool
	// Grace is how long the new container is still filled after the switch
	// (DefaultGrace).
	Grace time.Duration
	// VerifyTimeout bounds the comparison (DefaultVerifyTimeout).
	VerifyTimeout time.Duration
	// ClaimTTL is the claim's time to live (DefaultClaimTTL).
	ClaimTTL time.Duration
	// PollDelay is the events reader's wait when caught up (replay.DefaultPollDelay).
	PollDelay time.Duration
	// Owner names this process in the claim (default: host, pid, random).
	Owner string
	// Progress, when set, is called with every progress report.
	Progress func(Progress)
}

func (o ViewsOptions) withDefaults() ViewsOptions {
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	set(&o.Grace, DefaultGrace)
	set(&o.VerifyTimeout, DefaultVerifyTimeout)
	set(&o.ClaimTTL, DefaultClaimTTL)
	set(&o.PollDelay, replay.DefaultPollDelay)
	if o.Owner == "" {
		o.Owner = defaultOwner()
	}
	return o
}

// viewsState is a views rebuild's record, saved with its claim.
type viewsState struct {
	From   string `json:"from"`
	Target string `json:"target"`
	Prefix string `json:"leasePrefix"`
	// Phase: filling, draining (switched), done.
	Phase      string    `json:"phase"`
	SwitchedAt time.Time `json:"switchedAt,omitzero"`
}

// ViewsReport is what a views rebuild did.
type ViewsReport struct {
	From, Target string
	Resumed      bool
	// Events counts the events this run replayed.
	Events      int64
	Differences Differences
	Dropped     bool
}

// Views rebuilds the order views into a new container and switches to it.
type Views struct {
	conn    *cosmosdb.Conn
	reg     *es.Registry
	opts    ViewsOptions
	out     io.Writer
	log     *slog.Logger
	claims  *claim.Store
	pointer *viewpointer.Store
}

// NewViews returns the rebuild on conn; progress goes to out, events worth
// an operator's attention to log.
func NewViews(conn *cosmosdb.Conn, reg *es.Registry, opts ViewsOptions, out io.Writer, log *slog.Logger) *Views {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Views{conn: conn, reg: reg, opts: opts.withDefaults(), out: out, log: log,
		claims: claim.New(conn), pointer: viewpointer.New(conn)}
}

// Run runs the rebuild, or resumes the one the claim records. It returns
// an error wrapping ErrRunning when another rebuild holds the claim; after
// any other failure or an interruption the claim is released with its
// state, so the next run resumes.
func (v *Views) Run(ctx context.Context) (rep ViewsReport, err error) {
	k, ctx, cancel, err := hold(ctx, v.claims, ViewsClaim, v.opts.Owner, v.opts.ClaimTTL, v.log)
	if err != nil {
		return rep, err
	}
	defer func() {
		cancel(nil) // stops the renewal first
		if ferr := k.finish(err == nil); err == nil {
			err = ferr
		}
	}()
	var st viewsState
	if err := k.state(&st); err != nil {
		return rep, err
	}
	m := newMeter(v.out, v.opts.Progress)
	if rep.Resumed = st.Target != ""; rep.Resumed {
		m.say("resuming the rebuild of %s into %s (%s)", st.From, st.Target, st.Phase)
	} else if st, err = v.expand(ctx); err != nil {
		return rep, err
	} else if err = k.save(ctx, st); err != nil {
		return rep, err
	}
	rep.From, rep.Target = st.From, st.Target
	m.say("rebuilding the views of %s into %s", st.From, st.Target)
	err = v.fillAndSwitch(ctx, k, &st, &rep, m)
	if err != nil {
		return rep, err
	}
	if _, err := replay.DeleteLeases(ctx, v.conn, st.Prefix); err != nil {
		return rep, err
	}
	if v.opts.DropOld {
		if err := v.conn.DeleteContainer(ctx, st.From); err != nil {
			return rep, err
		}
		rep.Dropped = true
	}
	m.say("done: the views are served from %s (%s %s)", st.Target, st.From, map[bool]string{true: "dropped", false: "kept"}[rep.Dropped])
	return rep, nil
}

// expand creates the new container.
func (v *Views) expand(ctx context.Context) (viewsState, error) {
	ptr, err := v.pointer.Read(ctx)
	if err != nil {
		return viewsState{}, err
	}
	target := v.opts.Container
	if target == "" {
		target = nextGeneration(ptr.Container)
	}
	if target == ptr.Container {
		return viewsState{}, fmt.Errorf("%s is the active views container; name another with -container", target)
	}
	created, err := v.conn.CreateViewsContainer(ctx, target)
	if err != nil {
		return viewsState{}, err
	}
	if !created && v.opts.Container == "" {
		return viewsState{}, fmt.Errorf("the container %s exists already (from an abandoned rebuild?): drop it, or name it with -container to fill it", target)
	}
	return viewsState{From: ptr.Container, Target: target, Prefix: "rebuild." + target + ".", Phase: "filling"}, nil
}

// nextGeneration is the container after name: views -> views-2 -> views-3.
func nextGeneration(name string) string {
	base, n := name, 1
	if i := strings.LastIndex(name, "-"); i > 0 {
		if g, err := strconv.Atoi(name[i+1:]); err == nil && g > 0 {
			base, n = name[:i], g
		}
	}
	return base + "-" + strconv.Itoa(n+1)
}

// fillAndSwitch runs the reader into the new container until it has caught
// up, verifies, switches the pointer, and drains the reader after the grace.
func (v *Views) fillAndSwitch(ctx context.Context, k *keeper, st *viewsState, rep *ViewsReport, m *meter) error {
	quiet := slog.New(atLeastWarn{v.log.Handler()})
	proj, err := projector.NewConsumer(projector.Config{Views: viewstore.NewIn(v.conn, st.Target), Log: quiet}, v.reg, deadletters.New(v.conn))
	if err != nil {
		return err
	}
	r, err := startReader(ctx, v.conn, st.Prefix, proj, v.opts.PollDelay, quiet)
	if err != nil {
		return err
	}
	defer func() {
		rep.Events = r.r.Progress().Processed
		if serr := r.stop(); serr != nil {
			v.log.Warn("stopping the events reader", "err", serr)
		}
	}()
	if st.Phase == "filling" {
		if err := waitCaughtUp(ctx, r.r, r.failed, m, "filling "+st.Target, time.Time{}); err != nil {
			return err
		}
		if err := v.verifyAndSwitch(ctx, k, st, rep, m); err != nil {
			return err
		}
	}
	until := st.SwitchedAt.Add(v.opts.Grace)
	m.say("switched; still filling %s until %s while every component moves over", st.Target, until.Format(time.TimeOnly))
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-time.After(time.Until(until)):
	}
	return waitCaughtUp(ctx, r.r, r.failed, m, "draining", until)
}

// verifyAndSwitch compares the new views with the live ones and, when they
// agree (or differences are allowed), points every component at the new
// container.
func (v *Views) verifyAndSwitch(ctx context.Context, k *keeper, st *viewsState, rep *ViewsReport, m *meter) error {
	ptr, err := v.pointer.Read(ctx)
	if err != nil {
		return err
	}
	if ptr.Container == st.Target { // switched, then interrupted before saving it
		st.Phase, st.SwitchedAt = "draining", ptr.SwitchedAt
		return k.save(ctx, st)
	}
	if ptr.Container != st.From {
		return fmt.Errorf("the active views container is %s now, not %s as when this rebuild began; drop %s and start again", ptr.Container, st.From, st.Target)
	}
	m.say("verifying %s against %s", st.Target, st.From)
	d, err := verify(ctx, newFeedSide(v.conn, st.From, digestDocument), newFeedSide(v.conn, st.Target, digestDocument), v.opts.VerifyTimeout, m)
	rep.Differences = d
	if err != nil {
		return err
	}
	m.say("verified: %s", d)
	if !d.OK() && !v.opts.AllowDifferences {
		return fmt.Errorf("%w: %s", ErrDifferent, d)
	}
	if _, err := v.pointer.Switch(ctx, ptr, st.Target); err != nil {
		return err
	}
	st.Phase, st.SwitchedAt = "draining", time.Now().UTC()
	return k.save(ctx, st)
}

// ErrDifferent is wrapped by the error of a rebuild whose new views do not
// match the live ones; it has not switched, and a later run resumes it.
var ErrDifferent = errors.New("the rebuilt views differ from the live ones; not switched")

// atLeastWarn passes on only warnings and errors: the reader's and the
// projector's routine lines would break the progress bar.
type atLeastWarn struct{ slog.Handler }

func (h atLeastWarn) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}
func (h atLeastWarn) WithAttrs(a []slog.Attr) slog.Handler {
	return atLeastWarn{h.Handler.WithAttrs(a)}
}
func (h atLeastWarn) WithGroup(n string) slog.Handler { return atLeastWarn{h.Handler.WithGroup(n)} }
