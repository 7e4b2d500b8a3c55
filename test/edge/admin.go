package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"time"
)

// fault is one admin request. Connection faults (close, mute, unmute, graceful) apply to the connections matched by
// conn, connIndex and edge (all when none is given); edge faults (refuse, accept, block-udp, unblock-udp, slow) to
// the edge addresses matched by edge (all when empty).
type fault struct {
	Action       string `json:"action"`
	Conn         string `json:"conn"`
	ConnIndex    *int   `json:"connIndex"`
	Edge         string `json:"edge"`
	Cause        string `json:"cause"`
	RetryAfterMs int    `json:"retryAfterMs"`
	ForMs        int    `json:"forMs"`
	DelayMs      int    `json:"delayMs"`
}

type configPush struct {
	TunnelID string          `json:"tunnelId"`
	Version  int32           `json:"version"`
	Config   json.RawMessage `json:"config"`
}

func adminHandler(reg *registry) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /connections", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, reg.snapshot())
	})
	mux.HandleFunc("GET /local-config", func(w http.ResponseWriter, r *http.Request) {
		reg.mu.Lock()
		cfg, ok := reg.localConfig[r.URL.Query().Get("tunnelId")]
		reg.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no local configuration reported for this tunnel"})
			return
		}
		writeJSON(w, http.StatusOK, cfg)
	})
	mux.HandleFunc("POST /config", func(w http.ResponseWriter, r *http.Request) {
		var push configPush
		if err := json.NewDecoder(r.Body).Decode(&push); err != nil || len(push.Config) == 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("expected {tunnelId?, version, config}: %v", err)})
			return
		}
		writeJSON(w, http.StatusOK, reg.pushAll(push.TunnelID, remoteConfig{Version: push.Version, Config: push.Config}))
	})
	mux.HandleFunc("POST /faults", func(w http.ResponseWriter, r *http.Request) {
		var f fault
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		n, err := reg.apply(f)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		log.Printf("fault %s applied to %d target(s)", f.Action, n)
		writeJSON(w, http.StatusOK, map[string]int{"targets": n})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// until is the end of a fault lasting forMs, or never when forMs is 0.
func until(forMs int) time.Time {
	if forMs <= 0 {
		return time.Now().Add(100 * 365 * 24 * time.Hour)
	}
	return time.Now().Add(time.Duration(forMs) * time.Millisecond)
}

func (r *registry) apply(f fault) (int, error) {
	switch f.Action {
	case "close", "mute", "unmute", "graceful":
		return r.applyToConns(f), nil
	case "refuse", "accept", "block-udp", "unblock-udp", "slow":
		return r.applyToEdges(f), nil
	}
	return 0, fmt.Errorf("unknown action %q: expected close, mute, unmute, graceful, refuse, accept, block-udp, unblock-udp or slow", f.Action)
}

func (r *registry) applyToConns(f fault) int {
	r.mu.Lock()
	var targets []*conn
	for _, c := range r.conns {
		if (f.Conn == "" || c.ID.String() == f.Conn) && (f.ConnIndex == nil || (c.Registered && c.ConnIndex == *f.ConnIndex)) && (f.Edge == "" || c.Edge == f.Edge) {
			targets = append(targets, c)
			if f.Action == "mute" || f.Action == "unmute" {
				c.Muted = f.Action == "mute"
			}
		}
	}
	r.mu.Unlock()
	for _, c := range targets {
		switch f.Action {
		case "close":
			c.tr.closeAbruptly()
		case "graceful":
			c.tr.closeGracefully()
		case "mute", "unmute":
			c.tr.setMuted(f.Action == "mute")
		}
	}
	return len(targets)
}

func (r *registry) applyToEdges(f fault) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.edges {
		if f.Edge != "" && e.address != f.Edge {
			continue
		}
		n++
		switch f.Action {
		case "refuse":
			cause := f.Cause
			if cause == "" {
				cause = "Unauthorized: Invalid tunnel secret"
			}
			e.faults.refuseUntil, e.faults.refuseCause = until(f.ForMs), cause
			e.faults.refuseRetry = time.Duration(f.RetryAfterMs) * time.Millisecond
		case "accept":
			e.faults.refuseUntil = time.Time{}
		case "block-udp", "unblock-udp":
			e.faults.udpBlocked = f.Action == "block-udp"
		case "slow":
			e.faults.registerDelay = time.Duration(f.DelayMs) * time.Millisecond
		}
	}
	return n
}
