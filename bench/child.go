package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"
	"time"

	"lethe/connect"
	"lethe/engine"
	"lethe/policy"
)

// childEnv marks the process as the Lethe side of a case: it runs only
// Lethe, so its peak RSS (getrusage's ru_maxrss, read by the parent when
// it exits) is Lethe's own and nothing of the data generator or baseline.
const childEnv = "LETHE_BENCH_CHILD"

// job is what the parent asks the child to run.
type job struct {
	Kind     string    `json:"kind"` // sweep, erase, export
	URL      string    `json:"url"`
	Policy   string    `json:"policy"` // YAML
	At       time.Time `json:"at"`
	Secret   string    `json:"secret"`
	Batch    int       `json:"batch"`
	Walkers  int       `json:"walkers"`
	Subjects []subject `json:"subjects"` // erase, export
}

type subject struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Tenant string `json:"tenant"`
}

// outcome is what the child measured.
type outcome struct {
	Rows      int64              `json:"rows"`
	Seconds   float64            `json:"seconds"`
	LongestTx float64            `json:"longest_tx_ms"` // -1: not measured
	Batches   int64              `json:"batches"`
	InBatches float64            `json:"in_batches_s"` // seconds inside batch transactions
	Latencies []float64          `json:"latencies_ms,omitempty"`
	PerSet    map[string]int64   `json:"per_dataset,omitempty"`
	Exported  []map[string]int64 `json:"exported,omitempty"`
	Bytes     int64              `json:"bytes,omitempty"`
	MaxRSSMB  float64            `json:"-"`
	IO        string             `json:"-"` // see timedIO
}

// runLethe runs j in a child process and returns what it measured, with
// the child's peak RSS.
func runLethe(ctx context.Context, j job) (*outcome, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	in, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "child")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stdin = bytes.NewReader(in)
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("lethe side: %v\n%s", err, strings.TrimSpace(errs.String()))
	}
	var o outcome
	if err := json.Unmarshal(out.Bytes(), &o); err != nil {
		return nil, fmt.Errorf("lethe side answered %q: %v", out.String(), err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		o.MaxRSSMB = float64(ru.Maxrss) / 1024 // kilobytes on Linux
	}
	return &o, nil
}

// childMain is the child process: read a job, run it, write the outcome.
func childMain(stdin io.Reader, stdout io.Writer) int {
	var j job
	if err := json.NewDecoder(stdin).Decode(&j); err != nil {
		fmt.Fprintln(os.Stderr, "bench child:", err)
		return 2
	}
	if path := os.Getenv("LETHE_BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	o, err := runJob(context.Background(), j)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench child:", err)
		return 1
	}
	if err := json.NewEncoder(stdout).Encode(o); err != nil {
		return 1
	}
	return 0
}

func runJob(ctx context.Context, j job) (*outcome, error) {
	p, err := policy.Load("bench.yaml", []byte(j.Policy))
	if err != nil {
		return nil, err
	}
	d, err := connect.Open(ctx, j.URL)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	var secret []byte
	if j.Secret != "" {
		secret = []byte(j.Secret)
	}
	e, err := engine.New(ctx, p, d, engine.Config{Secret: secret})
	if err != nil {
		return nil, err
	}
	o := &outcome{LongestTx: -1, PerSet: map[string]int64{}}
	var trace *os.File
	if path := os.Getenv("LETHE_BENCH_TRACE"); path != "" {
		if trace, err = os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600); err != nil {
			return nil, err
		}
		defer trace.Close()
	}
	start := time.Now()
	switch j.Kind {
	case "sweep":
		o.LongestTx = 0
		res, err := e.Sweep(ctx, engine.SweepOptions{At: j.At, Confirm: true, Actor: "bench", Batch: j.Batch, Walkers: j.Walkers,
			OnBatch: func(n int64, took time.Duration) {
				if trace != nil {
					fmt.Fprintf(trace, "batch %d rows %.1f ms\n", n, ms(took))
				}
				o.Batches++
				o.InBatches += took.Seconds()
				o.LongestTx = max(o.LongestTx, ms(took))
			}})
		if err != nil {
			return nil, err
		}
		for _, en := range res.Entries {
			o.PerSet[en.Dataset] += en.Rows
			o.Rows += en.Rows
		}
	case "erase":
		o.LongestTx = 0
		for _, s := range j.Subjects {
			t0 := time.Now()
			res, err := e.Erase(ctx, engine.EraseRequest{Kind: s.Kind, ID: s.ID, Tenant: s.Tenant, Actor: "bench", At: j.At})
			if err != nil {
				return nil, fmt.Errorf("erase %s:%s: %w", s.Kind, s.ID, err)
			}
			took := ms(time.Since(t0))
			if trace != nil {
				fmt.Fprintf(trace, "erase %s:%s %.1f ms\n", s.Kind, s.ID, took)
			}
			o.Latencies = append(o.Latencies, took)
			o.LongestTx = max(o.LongestTx, took) // an erasure's transaction lies within its call
			o.Rows++
			for _, ds := range res.Datasets {
				o.PerSet[ds.Dataset] += ds.Rows
			}
		}
	case "export":
		for _, s := range j.Subjects {
			w := &countingWriter{}
			m, err := e.Export(ctx, engine.ExportRequest{Kind: s.Kind, ID: s.ID, Tenant: s.Tenant, At: j.At}, w)
			if err != nil {
				return nil, fmt.Errorf("export %s:%s: %w", s.Kind, s.ID, err)
			}
			counts := map[string]int64{}
			for _, ds := range m.Datasets {
				counts[ds.Dataset] = ds.Rows
				o.Rows += ds.Rows
			}
			o.Exported = append(o.Exported, counts)
			o.Bytes += w.n
		}
	default:
		return nil, fmt.Errorf("unknown job %q", j.Kind)
	}
	o.Seconds = time.Since(start).Seconds()
	return o, nil
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// percentile of sorted-in-place values, nearest rank.
func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	i := int(p/100*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}
