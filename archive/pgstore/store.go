package pgstore

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"folio/archive"
	"folio/archive/api"
	"folio/endorse"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the PostgreSQL archive store. Several Stores, in one process or
// in several, may share one database schema.
type Store struct {
	pool *pgxpool.Pool
}

var _ archive.Store = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	schema   string
	maxConns int32
}

// WithSchema makes the store keep its tables in the named schema, which
// Open creates if needed (tests give each store a schema of its own). The
// name is used as is (quoted), so it is case-sensitive.
func WithSchema(name string) Option { return func(o *options) { o.schema = name } }

// WithMaxConns bounds the store's pool of PostgreSQL connections (pgxpool's
// default, at least 4, without it; the URL's pool_max_conns also works).
func WithMaxConns(n int32) Option { return func(o *options) { o.maxConns = n } }

// Open connects to the PostgreSQL database at url (postgres://…; pgx reads
// the usual parameters, search_path and pool_max_conns included) and
// brings its schema up to date before it returns.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open archive store: the PostgreSQL URL is not valid: %w", err)
	}
	if o.schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{o.schema}.Sanitize()
	}
	if o.maxConns > 0 {
		cfg.MaxConns = o.maxConns
	}
	where := fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open archive store at %s: %w", where, err)
	}
	s := &Store{pool: pool}
	if err := s.migrate(ctx, cfg.ConnConfig.Copy(), o.schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open archive store at %s (is PostgreSQL running and the URL right?): %w", where, err)
	}
	return s, nil
}

// migrate applies the embedded migrations under an advisory lock named
// after the schema, creating the schema first when one was given. The
// lock is held by a session of its own, outside the pool (goose needs the
// pool's connections, however few it has), and released when that session
// ends.
func (s *Store) migrate(ctx context.Context, cfg *pgx.ConnConfig, schema string) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if schema == "" {
		var cur *string
		if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&cur); err != nil {
			return fmt.Errorf("read the current schema: %w", err)
		}
		if cur == nil {
			return errors.New("no schema of the connection's search_path exists: create one, or give the store a schema with WithSchema")
		}
		schema = *cur
	}
	// Another process opening the same schema waits here until the
	// migrations are in.
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended('folio archive schema ' || $1, 0))`, schema); err != nil {
		return fmt.Errorf("lock schema %s for migration: %w", schema, err)
	}
	if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil {
		return fmt.Errorf("create schema %s: %w", schema, err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("load schema migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate schema %s: %w", schema, err)
	}
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("read schema %s's version: %w", schema, err)
	}
	if current > target {
		return fmt.Errorf("schema %s is at version %d, newer than this archive knows (%d): run the newest archive", schema, current, target)
	}
	if current != target {
		return fmt.Errorf("schema %s is at version %d after migrating, want %d", schema, current, target)
	}
	return nil
}

// Close closes the pool of connections; everything acknowledged is
// committed already.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Integers are unsigned in Go and stored with the same bits in bigint.
func i64(n uint64) int64 { return int64(n) }

// unsignedOrder orders bigint device ids as unsigned numbers.
const unsignedOrder = `# (-9223372036854775807 - 1)`

// pgTime is a time to store: NULL for the zero time, else UTC to the
// microsecond (what timestamptz keeps).
func pgTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC().Truncate(time.Microsecond)
	return &t
}

// goTime is a time read back: the zero time for NULL.
func goTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// Push implements archive.Store.
func (s *Store) Push(ctx context.Context, req api.PushRequest, at time.Time) (api.PushResponse, error) {
	digest, err := archive.CheckPush(req)
	if err != nil {
		return api.PushResponse{}, err
	}
	if err := ctx.Err(); err != nil {
		return api.PushResponse{}, err
	}
	var resp api.PushResponse
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		resp, err = push(ctx, tx, req, digest, at)
		return err
	})
	if err != nil {
		return api.PushResponse{}, fmt.Errorf("push batch %d of device %s: %w", req.Batch, req.Device, err)
	}
	return resp, nil
}

// push does Push's work in tx, which it serialises with every other push.
func push(ctx context.Context, tx pgx.Tx, req api.PushRequest, digest [sha256.Size]byte, at time.Time) (api.PushResponse, error) {
	var resp api.PushResponse
	var head uint64
	var headSeq int64
	if err := tx.QueryRow(ctx, `SELECT seq FROM head FOR UPDATE`).Scan(&headSeq); err != nil {
		return resp, fmt.Errorf("lock the global sequence: %w", err)
	}
	head = uint64(headSeq)

	var prevDigest, prevAnswer []byte
	err := tx.QueryRow(ctx, `SELECT digest, answer FROM batches WHERE device = $1 AND batch = $2`,
		i64(uint64(req.Device)), i64(req.Batch)).Scan(&prevDigest, &prevAnswer)
	switch {
	case err == nil:
		return archive.Replay(req, digest, prevDigest, prevAnswer)
	case !errors.Is(err, pgx.ErrNoRows):
		return resp, fmt.Errorf("read earlier answer: %w", err)
	}

	var auditThrough int64
	err = tx.QueryRow(ctx, `SELECT audit_through FROM devices WHERE device = $1`, i64(uint64(req.Device))).Scan(&auditThrough)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return resp, fmt.Errorf("read device record: %w", err)
	}

	held, err := heldVersions(ctx, tx, req.Versions)
	if err != nil {
		return resp, err
	}
	resp.Batch = req.Batch
	resp.Results = make([]api.PushResult, len(req.Versions))
	var (
		seqs, hlcs, devs, phlcs, pdevs []int64
		kinds, ids                     []string
		cts, endorsements              [][]byte
		added                          int64
	)
	for i, v := range req.Versions {
		if had, ok := held[i]; ok {
			if resp.Results[i], err = archive.Duplicate(had, v); err != nil {
				return resp, err
			}
			continue
		}
		head++
		resp.Results[i] = api.PushResult{Seq: head}
		seqs = append(seqs, i64(head))
		kinds, ids = append(kinds, v.Kind), append(ids, v.ID)
		hlcs, devs = append(hlcs, i64(v.Version.HLC)), append(devs, i64(uint64(v.Version.Device)))
		phlcs, pdevs = append(phlcs, i64(v.Parent.HLC)), append(pdevs, i64(uint64(v.Parent.Device)))
		cts = append(cts, v.Ciphertext)
		e, err := marshalEndorsement(v.Endorsement)
		if err != nil {
			return resp, err
		}
		endorsements = append(endorsements, e)
		added += int64(len(v.Ciphertext))
	}
	if len(seqs) > 0 {
		_, err := tx.Exec(ctx, `
			INSERT INTO changes (seq, pusher, kind, record_id, hlc, device, parent_hlc, parent_device, ciphertext, endorsement)
			SELECT c.seq, $1, c.kind, c.record_id, c.hlc, c.device, c.parent_hlc, c.parent_device, c.ciphertext, c.endorsement
			FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bytea[], $10::bytea[])
				AS c(seq, kind, record_id, hlc, device, parent_hlc, parent_device, ciphertext, endorsement)`,
			i64(uint64(req.Device)), seqs, kinds, ids, hlcs, devs, phlcs, pdevs, cts, endorsements)
		if err != nil {
			return resp, fmt.Errorf("store versions: %w", err)
		}
	}

	through, err := appendAudit(ctx, tx, req.Device, uint64(auditThrough), req.Audit)
	if err != nil {
		return resp, err
	}
	resp.AuditThrough = through

	// A device that held everything before its own new versions still
	// does: its cursor follows, so no backlog is shown for what it sent.
	_, err = tx.Exec(ctx, `
		INSERT INTO devices (device, first_seen, last_seen, last_batch, versions, audit_through, pull_cursor, held)
		VALUES ($1, $2, $2, $3, $4, $5, CASE WHEN $6::bigint = 0 THEN $7::bigint ELSE 0 END, $8)
		ON CONFLICT (device) DO UPDATE SET
			held = devices.held + excluded.held,
			first_seen = COALESCE(devices.first_seen, excluded.first_seen),
			last_seen = GREATEST(devices.last_seen, excluded.last_seen),
			last_batch = GREATEST(devices.last_batch, excluded.last_batch),
			versions = devices.versions + excluded.versions,
			audit_through = excluded.audit_through,
			pull_cursor = CASE WHEN devices.pull_cursor >= $6::bigint THEN $7::bigint ELSE devices.pull_cursor END`,
		i64(uint64(req.Device)), pgTime(at), i64(req.Batch), int64(len(seqs)), i64(through), headSeq, i64(head), added)
	if err != nil {
		return resp, fmt.Errorf("update device record: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE head SET seq = $1, record_bytes = record_bytes + $2`, i64(head), added); err != nil {
		return resp, fmt.Errorf("advance the global sequence: %w", err)
	}
	ans, err := json.Marshal(resp)
	if err != nil {
		return resp, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO batches (device, batch, digest, answer) VALUES ($1, $2, $3, $4)`,
		i64(uint64(req.Device)), i64(req.Batch), digest[:], string(ans))
	if err != nil {
		return resp, fmt.Errorf("store the answer: %w", err)
	}
	return resp, nil
}

// heldVersions returns, by index in vs, the versions the archive holds
// already.
func heldVersions(ctx context.Context, tx pgx.Tx, vs []api.RecordVersion) (map[int]api.Change, error) {
	held := map[int]api.Change{}
	if len(vs) == 0 {
		return held, nil
	}
	kinds, ids := make([]string, len(vs)), make([]string, len(vs))
	hlcs, devs := make([]int64, len(vs)), make([]int64, len(vs))
	for i, v := range vs {
		kinds[i], ids[i] = v.Kind, v.ID
		hlcs[i], devs[i] = i64(v.Version.HLC), i64(uint64(v.Version.Device))
	}
	rows, err := tx.Query(ctx, `
		SELECT v.i - 1, c.seq, c.parent_hlc, c.parent_device, c.ciphertext, c.endorsement
		FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) WITH ORDINALITY AS v(kind, record_id, hlc, device, i)
		JOIN changes c ON c.kind = v.kind AND c.record_id = v.record_id AND c.hlc = v.hlc AND c.device = v.device`,
		kinds, ids, hlcs, devs)
	if err != nil {
		return nil, fmt.Errorf("look up held versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var i, seq, phlc, pdev int64
		var ct, e []byte
		if err := rows.Scan(&i, &seq, &phlc, &pdev, &ct, &e); err != nil {
			return nil, fmt.Errorf("look up held versions: %w", err)
		}
		endorsement, err := unmarshalEndorsement(uint64(seq), e)
		if err != nil {
			return nil, err
		}
		held[int(i)] = api.Change{Seq: uint64(seq), RecordVersion: api.RecordVersion{
			Parent: api.Version{HLC: uint64(phlc), Device: api.DeviceID(pdev)}, Ciphertext: ct, Endorsement: endorsement,
		}}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("look up held versions: %w", err)
	}
	return held, nil
}

// appendAudit continues device d's audit chain, held through through, with
// entries, and returns how far the chain is held now.
func appendAudit(ctx context.Context, tx pgx.Tx, d api.DeviceID, through uint64, entries []api.AuditEntry) (uint64, error) {
	if len(entries) == 0 {
		return through, nil
	}
	// The hashes the checks need: of entries held already, and of the
	// last one held (the link of the first new entry).
	var want []int64
	for _, e := range entries {
		if e.Seq <= through {
			want = append(want, i64(e.Seq))
		}
	}
	if through > 0 {
		want = append(want, i64(through))
	}
	hashes := map[uint64][]byte{}
	if len(want) > 0 {
		rows, err := tx.Query(ctx, `SELECT seq, hash FROM audit WHERE device = $1 AND seq = ANY($2)`, i64(uint64(d)), want)
		if err != nil {
			return 0, fmt.Errorf("read audit chain: %w", err)
		}
		for rows.Next() {
			var seq int64
			var h []byte
			if err := rows.Scan(&seq, &h); err != nil {
				rows.Close()
				return 0, fmt.Errorf("read audit chain: %w", err)
			}
			hashes[uint64(seq)] = h
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("read audit chain: %w", err)
		}
	}
	add, err := archive.ContinueAudit(d, through, entries, func(seq uint64) []byte { return hashes[seq] })
	if err != nil {
		return 0, err
	}
	var seqs []int64
	var hs, sealed [][]byte
	for _, e := range add {
		seqs, hs, sealed = append(seqs, i64(e.Seq)), append(hs, e.Hash), append(sealed, e.Sealed)
		through = e.Seq
	}
	if len(seqs) > 0 {
		_, err := tx.Exec(ctx, `
			INSERT INTO audit (device, seq, hash, sealed)
			SELECT $1, a.seq, a.hash, a.sealed FROM unnest($2::bigint[], $3::bytea[], $4::bytea[]) AS a(seq, hash, sealed)`,
			i64(uint64(d)), seqs, hs, sealed)
		if err != nil {
			return 0, fmt.Errorf("store audit entries: %w", err)
		}
	}
	return through, nil
}

const changeColumns = `seq, pusher, kind, record_id, hlc, device, parent_hlc, parent_device, ciphertext, endorsement`

// collectChanges reads rows of changeColumns.
func collectChanges(rows pgx.Rows) ([]api.Change, error) {
	defer rows.Close()
	var out []api.Change
	for rows.Next() {
		var seq, pusher, hlc, dev, phlc, pdev int64
		var c api.Change
		var e []byte
		if err := rows.Scan(&seq, &pusher, &c.Kind, &c.ID, &hlc, &dev, &phlc, &pdev, &c.Ciphertext, &e); err != nil {
			return nil, err
		}
		var err error
		if c.Endorsement, err = unmarshalEndorsement(uint64(seq), e); err != nil {
			return nil, err
		}
		c.Seq, c.Pusher = uint64(seq), api.DeviceID(pusher)
		c.Version = api.Version{HLC: uint64(hlc), Device: api.DeviceID(dev)}
		c.Parent = api.Version{HLC: uint64(phlc), Device: api.DeviceID(pdev)}
		out = append(out, c)
	}
	return out, rows.Err()
}

// marshalEndorsement is the column value of an endorsement (NULL for none).
func marshalEndorsement(e *endorse.Endorsement) ([]byte, error) {
	if e == nil {
		return nil, nil
	}
	return json.Marshal(e)
}

// unmarshalEndorsement reads the endorsement column of change seq.
func unmarshalEndorsement(seq uint64, b []byte) (*endorse.Endorsement, error) {
	if b == nil {
		return nil, nil
	}
	var e endorse.Endorsement
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%w: the endorsement of change %d is damaged in the archive's database: %v", api.ErrInternal, seq, err)
	}
	return &e, nil
}

// Endorsed implements archive.Store.
func (s *Store) Endorsed(ctx context.Context, after uint64) ([]api.Change, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+changeColumns+` FROM changes WHERE kind IN ('user', 'keyslots') AND seq > $1 ORDER BY seq`, i64(after))
	if err != nil {
		return nil, fmt.Errorf("list the users' and key slots' versions after %d: %w", after, err)
	}
	out, err := collectChanges(rows)
	if err != nil {
		return nil, fmt.Errorf("list the users' and key slots' versions after %d: %w", after, err)
	}
	return out, nil
}

// Pull implements archive.Store.
func (s *Store) Pull(ctx context.Context, device api.DeviceID, after uint64, limit int, at time.Time) (api.PullResponse, error) {
	limit, err := archive.CheckPull(device, limit)
	if err != nil {
		return api.PullResponse{}, err
	}
	if err := ctx.Err(); err != nil {
		return api.PullResponse{}, err
	}
	var resp api.PullResponse
	snapshot := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err = pgx.BeginTxFunc(ctx, s.pool, snapshot, func(tx pgx.Tx) error {
		resp = api.PullResponse{Next: after, Changes: []api.Change{}}
		var head int64
		if err := tx.QueryRow(ctx, `SELECT seq FROM head`).Scan(&head); err != nil {
			return err
		}
		resp.Head = uint64(head)
		if err := archive.CheckCursor(after, resp.Head); err != nil {
			return err
		}
		// Sizes first, so the page is cut before its ciphertext is read.
		rows, err := tx.Query(ctx, `SELECT seq, octet_length(ciphertext) FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2`, i64(after), limit+1)
		if err != nil {
			return err
		}
		var last uint64
		count, pageBytes := 0, 0
		for rows.Next() {
			var seq int64
			var size int
			if err := rows.Scan(&seq, &size); err != nil {
				rows.Close()
				return err
			}
			if archive.PageFull(count, limit, pageBytes, size) {
				resp.More = true
				break
			}
			last, count, pageBytes = uint64(seq), count+1, pageBytes+size
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if count == 0 {
			return nil
		}
		rows, err = tx.Query(ctx, `SELECT `+changeColumns+` FROM changes WHERE seq > $1 AND seq <= $2 ORDER BY seq`, i64(after), i64(last))
		if err != nil {
			return err
		}
		resp.Changes, err = collectChanges(rows)
		if err != nil {
			return err
		}
		resp.Next = last
		return nil
	})
	if err != nil {
		return api.PullResponse{}, fmt.Errorf("pull after %d for device %s: %w", after, device, err)
	}
	_, err = s.pool.Exec(ctx, `
		INSERT INTO devices (device, first_seen, last_seen, pull_cursor) VALUES ($1, $2, $2, $3)
		ON CONFLICT (device) DO UPDATE SET
			first_seen = COALESCE(devices.first_seen, excluded.first_seen),
			last_seen = GREATEST(devices.last_seen, excluded.last_seen),
			pull_cursor = GREATEST(devices.pull_cursor, excluded.pull_cursor)`,
		i64(uint64(device)), pgTime(at), i64(after))
	if err != nil {
		return api.PullResponse{}, fmt.Errorf("record pull cursor of device %s: %w", device, err)
	}
	return resp, nil
}

// Versions implements archive.Store.
func (s *Store) Versions(ctx context.Context, kind, id string) ([]api.Change, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+changeColumns+` FROM changes WHERE kind = $1 AND record_id = $2 ORDER BY seq`, kind, id)
	if err != nil {
		return nil, fmt.Errorf("versions of %s %s: %w", kind, id, err)
	}
	out, err := collectChanges(rows)
	if err != nil {
		return nil, fmt.Errorf("versions of %s %s: %w", kind, id, err)
	}
	if len(out) == 0 {
		return nil, archive.NoVersions(kind, id)
	}
	return out, nil
}

const deviceColumns = `d.device, d.name, d.first_seen, d.last_seen, d.last_batch, d.versions, d.audit_through, d.pull_cursor, d.held, h.seq`

// scanDevice reads a row of deviceColumns.
func scanDevice(row pgx.Row) (api.DeviceInfo, error) {
	var id, lastBatch, versions, through, cursor, head int64
	var first, last *time.Time
	var info api.DeviceInfo
	if err := row.Scan(&id, &info.Name, &first, &last, &lastBatch, &versions, &through, &cursor, &info.Held, &head); err != nil {
		return info, err
	}
	info.ID = api.DeviceID(id)
	info.FirstSeen, info.LastSeen = goTime(first), goTime(last)
	info.LastBatch, info.Versions, info.AuditThrough, info.Cursor = uint64(lastBatch), uint64(versions), uint64(through), uint64(cursor)
	info.Backlog = uint64(head) - min(info.Cursor, uint64(head))
	return info, nil
}

// AuditEntries implements archive.Store.
func (s *Store) AuditEntries(ctx context.Context, device api.DeviceID, after uint64, limit int) (api.AuditPage, error) {
	limit = min(max(limit, 1), api.MaxBatchAudit)
	page := api.AuditPage{Entries: []api.AuditEntry{}}
	snapshot := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, s.pool, snapshot, func(tx pgx.Tx) error {
		page = api.AuditPage{Entries: []api.AuditEntry{}}
		var through int64
		err := tx.QueryRow(ctx, `SELECT audit_through FROM devices WHERE device = $1`, i64(uint64(device))).Scan(&through)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		page.Through = uint64(through)
		rows, err := tx.Query(ctx, `SELECT seq, hash, sealed FROM audit WHERE device = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4`,
			i64(uint64(device)), i64(after), through, limit+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		size := 0
		for rows.Next() {
			var seq int64
			var e api.AuditEntry
			if err := rows.Scan(&seq, &e.Hash, &e.Sealed); err != nil {
				return err
			}
			e.Seq = uint64(seq)
			if archive.PageFull(len(page.Entries), limit, size, len(e.Sealed)) {
				page.More = true
				break
			}
			if want := after + uint64(len(page.Entries)) + 1; e.Seq != want {
				return fmt.Errorf("%w: audit entry %d of device %s is missing in the archive store", api.ErrInternal, want, device)
			}
			page.Entries = append(page.Entries, e)
			size += len(e.Sealed)
		}
		return rows.Err()
	})
	if err != nil {
		return api.AuditPage{}, fmt.Errorf("audit entries of device %s after %d: %w", device, after, err)
	}
	return page, nil
}

// Device implements archive.Store.
func (s *Store) Device(ctx context.Context, id api.DeviceID) (api.DeviceInfo, error) {
	if err := ctx.Err(); err != nil {
		return api.DeviceInfo{}, err
	}
	info, err := scanDevice(s.pool.QueryRow(ctx, `SELECT `+deviceColumns+` FROM devices d, head h WHERE d.device = $1`, i64(uint64(id))))
	if errors.Is(err, pgx.ErrNoRows) {
		return api.DeviceInfo{}, fmt.Errorf("device %s: %w", id, archive.UnknownDevice(id))
	}
	if err != nil {
		return api.DeviceInfo{}, fmt.Errorf("device %s: %w", id, err)
	}
	return info, nil
}

// Metrics implements archive.Store.
func (s *Store) Metrics(ctx context.Context) (api.Metrics, error) {
	if err := ctx.Err(); err != nil {
		return api.Metrics{}, err
	}
	m := api.Metrics{Devices: []api.DeviceInfo{}}
	snapshot := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, s.pool, snapshot, func(tx pgx.Tx) error {
		m.Devices = m.Devices[:0]
		var head int64
		err := tx.QueryRow(ctx, `
			SELECT h.seq, h.record_bytes,
				count(*) FILTER (WHERE b.complete), COALESCE(sum(b.size) FILTER (WHERE b.complete), 0),
				count(*) FILTER (WHERE NOT b.complete)
			FROM head h LEFT JOIN blobs b ON true
			GROUP BY h.seq, h.record_bytes`).Scan(&head, &m.RecordBytes, &m.Blobs, &m.BlobBytes, &m.Uploads)
		if err != nil {
			return err
		}
		m.Head = uint64(head)
		rows, err := tx.Query(ctx, `SELECT `+deviceColumns+` FROM devices d, head h ORDER BY d.device `+unsignedOrder+` LIMIT $1`, api.MaxDevices)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			info, err := scanDevice(rows)
			if err != nil {
				return err
			}
			m.Devices = append(m.Devices, info)
		}
		return rows.Err()
	})
	if err != nil {
		return api.Metrics{}, fmt.Errorf("archive metrics: %w", err)
	}
	return m, nil
}
