/** The state store: one SQLite database per state dir, one writer at a time, any number of readers. */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { LEGACY_DIGEST, MfluxError, isMfluxError, isNamespaced, objectRef } from '../core/index.js';
import type { KubeObject } from '../core/index.js';
import { joinObject, parsePart, partId, splitObject } from './parts.js';
import type { SnapshotChanges, StoreMode, StoredEvent } from './types.js';

/** DB_FILE is the database's file name inside the state dir. */
export const DB_FILE = 'state.db';

/** LOCK_FILE is the writer lock's file name inside the state dir. */
export const LOCK_FILE = 'state.lock';

/** BUSY_TIMEOUT_MS is how long a statement waits for another connection's lock before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * LEGACY_EVENT_COLUMNS reads an event stored as JSON (schemas 1–8: the events table) as event_records'
 * columns, filling what an old row may lack. Migration 9 moves every row through it, and a reader of a
 * database no writer has migrated yet reads through it. Part of a released migration: never change it.
 */
const LEGACY_EVENT_COLUMNS = `seq,
  coalesce(json_extract(json, '$.metadata.namespace'), 'default'),
  coalesce(json_extract(json, '$.metadata.name'), ''),
  coalesce(json_extract(json, '$.involvedObject.kind'), ''),
  json_extract(json, '$.involvedObject.namespace'),
  coalesce(json_extract(json, '$.involvedObject.name'), ''),
  json_extract(json, '$.involvedObject.uid'),
  json_extract(json, '$.involvedObject.apiVersion'),
  json_extract(json, '$.involvedObject.resourceVersion'),
  coalesce(json_extract(json, '$.type'), 'Normal'),
  coalesce(json_extract(json, '$.reason'), ''),
  coalesce(json_extract(json, '$.message'), ''),
  coalesce(json_extract(json, '$.source.component'), json_extract(json, '$.reportingComponent'), ''),
  coalesce(json_extract(json, '$.firstTimestamp'), json_extract(json, '$.metadata.creationTimestamp'), json_extract(json, '$.lastTimestamp'), ''),
  coalesce(json_extract(json, '$.lastTimestamp'), json_extract(json, '$.firstTimestamp'), ''),
  coalesce(json_extract(json, '$.count'), 1)`;

/**
 * MIGRATIONS lists the schema changes in order; entry i takes user_version i to i+1.
 * Append only: a released entry never changes, because databases in the field already ran it.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE objects (
     kind      TEXT NOT NULL,
     namespace TEXT NOT NULL,
     name      TEXT NOT NULL,
     json      TEXT NOT NULL,
     PRIMARY KEY (kind, namespace, name)
   );
   CREATE TABLE events (
     seq  INTEGER PRIMARY KEY,
     json TEXT NOT NULL
   );
   CREATE TABLE meta (
     key   TEXT PRIMARY KEY,
     value TEXT NOT NULL
   );`,
  // 2: the ledger (one row per reconcile pass, one per Deployment touched), the inventory of what
  // each source applied (its last-applied manifests, for pruning and three-way merges), and per-source bookkeeping.
  `CREATE TABLE passes (
     id               INTEGER PRIMARY KEY AUTOINCREMENT,
     source           TEXT NOT NULL,
     ref              TEXT NOT NULL,
     revision         TEXT NOT NULL,
     commit_sha       TEXT NOT NULL,
     subject          TEXT NOT NULL,
     author           TEXT NOT NULL,
     started_wall     INTEGER NOT NULL,
     finished_wall    INTEGER,
     started_cluster  INTEGER NOT NULL,
     finished_cluster INTEGER,
     outcome          TEXT,
     reasons          TEXT NOT NULL DEFAULT '[]',
     changes          TEXT NOT NULL DEFAULT '[]'
   );
   CREATE INDEX passes_by_source ON passes (source, id);
   CREATE TABLE pass_deployments (
     pass_id           INTEGER NOT NULL REFERENCES passes (id),
     namespace         TEXT NOT NULL,
     name              TEXT NOT NULL,
     action            TEXT NOT NULL,
     revision          INTEGER,
     replica_set       TEXT,
     pod_template_hash TEXT,
     finished_cluster  INTEGER,
     ok                INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (pass_id, namespace, name)
   );
   CREATE INDEX pass_deployments_by_name ON pass_deployments (namespace, name, pass_id);
   CREATE TABLE inventory (
     source  TEXT NOT NULL,
     ref     TEXT NOT NULL,
     applied TEXT NOT NULL,
     PRIMARY KEY (source, ref)
   );
   CREATE TABLE sources (
     name                    TEXT PRIMARY KEY,
     url                     TEXT NOT NULL,
     last_attempted_revision TEXT,
     last_applied_revision   TEXT,
     last_applied_commit     TEXT
   );`,
  // 3: a pass that applied a `Roll back deployment/NAME to revision N` commit records N per Deployment.
  `ALTER TABLE pass_deployments ADD COLUMN rollback_to INTEGER;`,
  // 4: who owns an object, looked up by object (one object must have one owning source).
  `CREATE INDEX inventory_by_ref ON inventory (ref, source);`,
  // 5: Secret values were kept as unkeyed sha256 digests, which can be checked against guessed values
  // offline. They cannot be turned into keyed digests (the values are gone), so each is replaced by a
  // placeholder that matches no value (core LEGACY_DIGEST): the next pass sees every Secret as changed
  // and re-applies it from Git, which stores keyed digests. secure_delete zeroes the old row contents.
  `PRAGMA secure_delete = ON;
   UPDATE objects SET json = json_set(json, '$.data', json((SELECT json_group_object(key, '${LEGACY_DIGEST}') FROM json_each(objects.json, '$.data'))))
     WHERE kind = 'Secret' AND json_type(json, '$.data') = 'object';
   UPDATE objects SET json = json_set(json, '$.stringData', json((SELECT json_group_object(key, '${LEGACY_DIGEST}') FROM json_each(objects.json, '$.stringData'))))
     WHERE kind = 'Secret' AND json_type(json, '$.stringData') = 'object';
   UPDATE inventory SET applied = json_set(applied, '$.data', json((SELECT json_group_object(key, '${LEGACY_DIGEST}') FROM json_each(inventory.applied, '$.data'))))
     WHERE json_extract(applied, '$.kind') = 'Secret' AND json_type(applied, '$.data') = 'object';
   UPDATE inventory SET applied = json_set(applied, '$.stringData', json((SELECT json_group_object(key, '${LEGACY_DIGEST}') FROM json_each(inventory.applied, '$.stringData'))))
     WHERE json_extract(applied, '$.kind') = 'Secret' AND json_type(applied, '$.stringData') = 'object';`,
  // 6: the ledger records StatefulSets and DaemonSets (ControllerRevision numbers) beside Deployments.
  `ALTER TABLE pass_deployments ADD COLUMN kind TEXT NOT NULL DEFAULT 'Deployment';`,
  // 7: what each Service a pass could affect served while the pass waited: ready endpoints before the
  // apply, the fewest after it, its desired replicas and the cluster time it had none — so `history`
  // shows which commit cut traffic.
  `CREATE TABLE pass_services (
     pass_id      INTEGER NOT NULL REFERENCES passes (id),
     namespace    TEXT NOT NULL,
     name         TEXT NOT NULL,
     ready_before INTEGER NOT NULL,
     min_ready    INTEGER NOT NULL,
     ready_after  INTEGER NOT NULL,
     desired      INTEGER NOT NULL,
     zero_ms      INTEGER NOT NULL,
     PRIMARY KEY (pass_id, namespace, name)
   );
   CREATE INDEX pass_services_by_name ON pass_services (namespace, name, pass_id);`,
  // 8: where things come from once a kustomization renders them: the folder a pass read (--path, which
  // rollback and trace render again) and, per workload, its origin (file:line and kustomizations, JSON).
  `ALTER TABLE passes ADD COLUMN path TEXT;
   ALTER TABLE pass_deployments ADD COLUMN origin TEXT;`,
  // 9: events are kept one column per field instead of as JSON. A 100k-pod cluster records about 370k
  // events; as JSON each was ~590 bytes, two thirds of them key names and punctuation, and saving or
  // loading them cost more than all the objects together. Every stored event was written by the
  // simulator's event log, so these fields are all it ever held.
  `CREATE TABLE event_records (
     seq                INTEGER PRIMARY KEY,
     namespace          TEXT NOT NULL,
     name               TEXT NOT NULL,
     object_kind        TEXT NOT NULL,
     object_namespace   TEXT,
     object_name        TEXT NOT NULL,
     object_uid         TEXT,
     object_api_version TEXT,
     object_version     TEXT,
     type               TEXT NOT NULL,
     reason             TEXT NOT NULL,
     message            TEXT NOT NULL,
     component          TEXT NOT NULL,
     first_timestamp    TEXT NOT NULL,
     last_timestamp     TEXT NOT NULL,
     count              INTEGER NOT NULL
   );
   INSERT INTO event_records SELECT ${LEGACY_EVENT_COLUMNS}
       FROM events;
   DROP TABLE events;
   -- And what many objects hold in common (a ReplicaSet's pods' spec) is stored once, in object_parts
   -- (store/parts.ts): such an object's json has null there, and its parts column says which part goes
   -- where. Anything that reads objects.json in SQL must read a part's place through parts.
   ALTER TABLE objects ADD COLUMN parts TEXT;
   CREATE TABLE object_parts (
     id   TEXT PRIMARY KEY,
     json TEXT NOT NULL
   ) WITHOUT ROWID;`,
  // 10: an event's row holds only what is its own. What many events have alike (their namespace, the
  // kind, namespace and apiVersion of their object, type, reason and component: a few dozen
  // combinations in a 100k-pod cluster) is one event_shapes row they name; the event's name, which the
  // event log makes "<object name>.<suffix>", keeps only the suffix (name holds a name of another
  // form whole); and last_timestamp is NULL when it equals first_timestamp (an event seen once).
  // Saving 370k events wrote ~100 MB of which ~40% repeated; the volume, not the number of rows, is
  // what a save spends its time on.
  `CREATE TABLE event_shapes (
     id                 INTEGER PRIMARY KEY,
     namespace          TEXT NOT NULL,
     object_kind        TEXT NOT NULL,
     object_namespace   TEXT,
     object_api_version TEXT,
     type               TEXT NOT NULL,
     reason             TEXT NOT NULL,
     component          TEXT NOT NULL
   );
   INSERT INTO event_shapes (namespace, object_kind, object_namespace, object_api_version, type, reason, component)
     SELECT DISTINCT namespace, object_kind, object_namespace, object_api_version, type, reason, component FROM event_records;
   CREATE TABLE event_rows (
     seq             INTEGER PRIMARY KEY,
     shape           INTEGER NOT NULL,
     name_suffix     TEXT,
     name            TEXT,
     object_name     TEXT NOT NULL,
     object_uid      TEXT,
     object_version  TEXT,
     message         TEXT NOT NULL,
     first_timestamp TEXT NOT NULL,
     last_timestamp  TEXT,
     count           INTEGER NOT NULL
   );
   INSERT INTO event_rows
     SELECT e.seq, s.id,
            CASE WHEN substr(e.name, 1, length(e.object_name) + 1) = e.object_name || '.' THEN substr(e.name, length(e.object_name) + 2) END,
            CASE WHEN substr(e.name, 1, length(e.object_name) + 1) = e.object_name || '.' THEN NULL ELSE e.name END,
            e.object_name, e.object_uid, e.object_version, e.message, e.first_timestamp,
            NULLIF(e.last_timestamp, e.first_timestamp), e.count
       FROM event_records AS e JOIN event_shapes AS s
         ON s.namespace = e.namespace AND s.object_kind = e.object_kind AND s.object_namespace IS e.object_namespace
        AND s.object_api_version IS e.object_api_version AND s.type = e.type AND s.reason = e.reason AND s.component = e.component;
   DROP TABLE event_records;`,
];

/** SCHEMA_VERSION is the user_version a database has once every migration this build knows has run. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** resolveStateDir picks --state, else $MFLUX_STATE, else ./.mflux (absolute path). */
export function resolveStateDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  // Empty strings count as unset so `MFLUX_STATE= mflux …` falls back instead of meaning the cwd.
  const chosen = flag || env.MFLUX_STATE || '.mflux';
  return path.resolve(chosen);
}

/**
 * LockInfo is what a writer records in the lock file so others can name it and test whether it is
 * still alive: `token` is the lock ID `mflux force-unlock` takes; `started` identifies the process
 * beyond its pid (see processStart), so a reused pid is not mistaken for the holder.
 */
export interface LockInfo {
  pid: number;
  hostname: string;
  token: string;
  started?: string;
}

interface Statements {
  selectObjects: Database.Statement<[], [json: string, parts: string | null]>;
  selectEvents: Database.Statement<[], EventRow>;
  selectMeta: Database.Statement<[string], { value: string }>;
  /** selectParts lists the shared parts (none before migration 9). */
  selectParts: Database.Statement<[], [id: string, json: string]> | undefined;
  /** write holds the statements that change the database: prepared only at the current schema, which a writer always has (it migrated at open). */
  write: WriteStatements | undefined;
}

interface WriteStatements {
  upsertObject: Database.Statement<[string, string, string, string, string | null]>;
  deleteObject: Database.Statement<[string, string, string]>;
  upsertEvent: Database.Statement<EventRowV10>;
  selectShapes: Database.Statement<[], ShapeRow>;
  insertShape: Database.Statement<ShapeFields>;
  deleteEvent: Database.Statement<[number]>;
  setMeta: Database.Statement<[string, string]>;
  insertPart: Database.Statement<[string, string]>;
  selectPart: Database.Statement<[string], string>;
  countParts: Database.Statement<[], number>;
  countObjects: Database.Statement<[], number>;
  sweepParts: Database.Statement<[]>;
}

/** StateStore is an open state dir: load what the last writer committed, or (in write mode) commit changes atomically. */
export class StateStore {
  readonly dir: string;
  readonly mode: StoreMode;
  private readonly dbPath: string;
  private db: Database.Database | undefined;
  private stmts: Statements | undefined;
  private lock: LockInfo | undefined;
  private closed = false;
  private walPending: boolean;

  private constructor(dir: string, mode: StoreMode, opened: Opened) {
    this.dir = dir;
    this.mode = mode;
    this.dbPath = path.join(dir, DB_FILE);
    this.db = opened.db;
    this.lock = opened.lock;
    this.walPending = opened.walPending ?? false;
  }

  // enableWal puts a new database in WAL mode once its first commit is written. It needs the file to
  // itself: while a reader is in it (SQLITE_BUSY) it is tried again after the next commit, and at close.
  private enableWal(): void {
    const db = this.db;
    if (!this.walPending || !db) return;
    try {
      this.guard(() => db.pragma('journal_mode = WAL'));
      this.walPending = false;
    } catch (err) {
      if (!isMfluxError(err) || err.code !== 'StateLocked') throw err;
    }
  }

  /** open opens <dir>/state.db; 'write' creates it, takes the writer lock and migrates, 'read' never creates or writes anything. */
  static open(dir: string, mode: StoreMode): StateStore {
    const abs = path.resolve(dir);
    return new StateStore(abs, mode, mode === 'write' ? openWriter(abs) : openReader(abs));
  }

  /** loadObjects returns every stored object. */
  loadObjects(): KubeObject[] {
    const s = this.statements();
    if (!s) return [];
    // Row by row: a 100k-pod cluster's JSON is a few hundred MB, which need not all be held as strings at once.
    return this.guard(() => {
      const partJson = new Map<string, string>();
      if (s.selectParts) for (const [id, json] of s.selectParts.iterate()) partJson.set(id, json);
      // Each part is parsed once, when an object first needs it, and shared by every object that holds it.
      const parts = new Map<string, unknown>();
      const part = (id: string): unknown => {
        let v = parts.get(id);
        if (v === undefined) {
          const json = partJson.get(id);
          if (json === undefined) return undefined;
          parts.set(id, (v = parsePart(json)));
        }
        return v;
      };
      const out: KubeObject[] = [];
      for (const [json, refs] of s.selectObjects.iterate()) {
        const obj = JSON.parse(json) as KubeObject;
        if (refs !== null) {
          const wrong = joinObject(obj, refs, part);
          if (wrong) {
            throw new MfluxError('StateCorrupt', `${objectRef(obj.kind, obj.metadata?.namespace, obj.metadata?.name)}: ${wrong}; it was left untouched — move it aside or restore a backup`, {
              subject: this.dbPath,
            });
          }
        }
        out.push(obj);
      }
      return out;
    });
  }

  /** loadEvents returns the stored events in seq order. */
  loadEvents(): StoredEvent[] {
    const s = this.statements();
    if (!s) return [];
    return this.guard(() => {
      const out: StoredEvent[] = [];
      // Events of one instant share their timestamps, and most involve an object another event
      // involves too: equal strings are kept once (a 100k-pod cluster's 370k events hold ~100k distinct timestamps and subjects).
      const shared = new Map<string, string>();
      const once = (v: string): string => {
        const had = shared.get(v);
        if (had !== undefined) return had;
        shared.set(v, v);
        return v;
      };
      for (const r of s.selectEvents.iterate()) {
        const row = r as EventRow;
        // An event_rows row whose shape is gone reads a NULL namespace (the join keeps it, so it is not silently dropped).
        if (row[1] === null) {
          throw new MfluxError('StateCorrupt', `event ${row[0]}: its shape is missing from event_shapes; it was left untouched — move it aside or restore a backup`, { subject: this.dbPath });
        }
        out.push(fromRow(row, once));
      }
      return out;
    });
  }

  /** getMeta returns one metadata value, or undefined when it was never set. */
  getMeta(key: string): string | undefined {
    const s = this.statements();
    if (!s) return undefined;
    return this.guard(() => s.selectMeta.get(key)?.value);
  }

  /** database is the open SQLite handle, for modules that keep their own tables here (the ledger); undefined when there is no database yet. */
  database(): Database.Database | undefined {
    this.statements();
    return this.db;
  }

  /** lockId is the token in the lock file this writer holds (what `mflux force-unlock` names); undefined for a reader. */
  get lockId(): string | undefined {
    return this.lock?.token;
  }

  /** transaction runs fn in one write transaction (write mode only). */
  transaction<T>(fn: (db: Database.Database) => T): T {
    if (this.mode !== 'write' || !this.db) throw new MfluxError('Internal', 'a write transaction needs a store opened in write mode', { subject: this.dir });
    const db = this.db;
    const out = this.guard(() => db.transaction(() => fn(db)).immediate());
    this.enableWal();
    return out;
  }

  /** commit writes every change in one transaction (plus `also`, inside it): all of it lands or none of it does. */
  commit(changes: SnapshotChanges, also?: (db: Database.Database) => void): void {
    if (this.mode !== 'write') {
      throw new MfluxError('Internal', `opened read-only; commit needs a store opened in 'write' mode`, { subject: this.dir });
    }
    const s = this.statements();
    const db = this.db;
    if (!s || !db) throw new MfluxError('Internal', 'commit on a closed state store', { subject: this.dir });
    // Parse delete keys before BEGIN so a malformed key fails without opening a transaction.
    const deletes = changes.deletes.map(parseRef);
    // Rows go in primary-key order: on a large commit (a whole cluster's first save) each insert then
    // lands next to the last one in the key index instead of on a random page, about twice as fast.
    const upserts = changes.upserts.map((obj) => ({ key: keyOf(obj), obj })).sort((a, b) => compareKeys(a.key, b.key));
    const w = s.write;
    if (!w) throw new MfluxError('Internal', 'writing needs a database at the current schema', { subject: this.dbPath });
    const tx = db.transaction(() => {
      const share = partSharer(w);
      for (const { key, obj } of upserts) {
        const [kind, namespace, name] = key;
        const row = storedForm(obj, share.share, key);
        w.upsertObject.run(kind, namespace, name, row.json, row.parts);
      }
      for (const [kind, namespace, name] of deletes) w.deleteObject.run(kind, namespace, name);
      const shapes = changes.events.length > 0 ? new EventShapes(w) : undefined;
      for (const event of changes.events) {
        if (!Number.isSafeInteger(event.seq)) {
          throw new MfluxError('Invalid', `event seq must be a safe integer, got ${String(event.seq)}`, { subject: this.dbPath });
        }
        insertEvent(w.upsertEvent, shapes!, event);
      }
      for (const seq of changes.eventDeletes ?? []) w.deleteEvent.run(seq);
      for (const [key, value] of Object.entries(changes.meta)) w.setMeta.run(key, value);
      // Parts no row holds any more (a pod updated or deleted) are swept once they outnumber the
      // objects by PART_SWEEP_SLACK: a whole-table check, so it runs rarely, and only after a commit
      // that added parts (a growing table). Between sweeps the leftovers cost disk, never correctness.
      if (share.inserted() > 0 && w.countParts.get()! > w.countObjects.get()! + PART_SWEEP_SLACK) w.sweepParts.run();
      also?.(db);
    });
    this.guard(() => tx.immediate());
    this.enableWal();
  }

  /** close releases the writer lock (if held) and closes the database; calling it again does nothing. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      try {
        this.enableWal();
      } catch {
        // Left in rollback-journal mode: the next writer puts it in WAL mode when it opens it.
      }
      // Close the database first: the last connection checkpoints the WAL, which must finish while we still own the dir.
      this.db?.close();
    } finally {
      this.db = undefined;
      this.stmts = undefined;
      if (this.lock) releaseLock(this.dir, this.lock);
      this.lock = undefined;
    }
  }

  private statements(): Statements | undefined {
    if (this.closed) throw new MfluxError('Internal', 'state store is closed', { subject: this.dir });
    // Prepared lazily: a reader can open a database whose writer has not created the tables yet (user_version 0).
    if (!this.stmts && this.db) {
      const db = this.db;
      const version = this.guard(() => userVersion(db, this.dbPath));
      if (version > 0) this.stmts = prepare(db, version);
    }
    return this.stmts;
  }

  // Corruption can surface long after open (a damaged page is only read when a query touches it), and a full disk or a
  // file made read-only only when a write needs a page: each becomes a coded error naming the file.
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw isSqliteError(err) ? sqliteError(this.dbPath, err) : err;
    }
  }
}

interface Opened {
  db: Database.Database | undefined;
  lock: LockInfo | undefined;
  /** walPending: a new database, still in rollback-journal mode until its first commit is written (see openWriter). */
  walPending?: boolean;
}

function openReader(dir: string): Opened {
  const dbPath = path.join(dir, DB_FILE);
  // A missing file is an empty state; checking first keeps better-sqlite3 from creating the file or dir.
  if (!isFile(dbPath)) return { db: undefined, lock: undefined };
  return { db: probe(dbPath, 'read'), lock: undefined };
}

function openWriter(dir: string): Opened {
  makeDirs(dir);
  const lock = acquireLock(dir);
  let db: Database.Database | undefined;
  try {
    const dbPath = path.join(dir, DB_FILE);
    if (isFile(dbPath)) {
      // Vet an existing file through a read-only handle: a read-write handle checkpoints the WAL on close,
      // which would rewrite a file we are about to refuse (too new) or must not touch (corrupt).
      probe(dbPath, 'write').close();
      // SQLite opens a file it may not write read-only without a word and fails only at the first write (after a
      // command has already changed its in-memory cluster): ask the OS first (EACCES, EROFS).
      try {
        fs.accessSync(dbPath, fs.constants.W_OK);
      } catch (err) {
        throw unwritableError(dbPath, err);
      }
    }
    try {
      db = new Database(dbPath);
    } catch (err) {
      throw unwritableError(dbPath, err);
    }
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    checkHeader(db, dbPath);
    // A new database gets 64 KiB pages, SQLite's largest (an existing one keeps its own: changing it
    // would need a VACUUM). A saved cluster is hundreds of MB of 0.2–2 KB rows; with the default 4 KiB
    // pages SQLite spends about twice as long per byte (measured: 130k pods + 370k events, 8.6 s →
    // 3.9 s at 16 KiB), and 64 KiB took another 0.1–0.2 s off saving 100k pods; a small commit costs
    // the same. It must be set before WAL mode, which fixes the page size.
    const fresh = userVersion(db, dbPath) === 0;
    if (fresh) db.pragma(`page_size = ${PAGE_SIZE}`);
    // A new database stays in rollback-journal mode until its first commit is written, then goes to
    // WAL (StateStore.enableWal): a first save of a whole cluster (100k pods: 190 MB) is then written
    // once, into the file, instead of into the WAL and then copied into the file by the checkpoint —
    // 0.5 s less, and just as atomic and durable (the journal holds what the file held: almost
    // nothing). Readers of that first commit wait for it (busy_timeout) instead of reading beside it.
    if (!fresh) {
      try {
        db.pragma('journal_mode = WAL');
      } catch (err) {
        throw isCorruptError(err) ? corruptError(dbPath, err) : unwritableError(dbPath, err);
      }
    }
    try {
      migrate(db, dbPath);
    } catch (err) {
      throw isSqliteError(err) ? sqliteError(dbPath, err) : err;
    }
    applyTestPageLimit(db);
    return { db, lock, walPending: fresh };
  } catch (err) {
    db?.close();
    releaseLock(dir, lock);
    throw err;
  }
}

/**
 * makeDirs creates dir and its missing parents, one level at a time, failing with StateUnwritable
 * naming dir. Not fs.mkdirSync(dir, { recursive: true }): when mkdir fails with ENOENT although the
 * parent exists (procfs and sysfs: `--state /proc/x`), Node's recursive mkdir retries forever at
 * 100% CPU. Here each level is tried once and any failure is final.
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let p = dir; ; ) {
    let isDir: boolean;
    try {
      isDir = fs.statSync(p).isDirectory();
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw unwritableError(dir, err);
      missing.push(p);
      const parent = path.dirname(p);
      if (parent === p) break;
      p = parent;
      continue;
    }
    if (!isDir) {
      // mkdir on it fails with the OS's own words (EEXIST, or ENOTDIR below a file).
      try {
        fs.mkdirSync(p);
      } catch (err) {
        throw unwritableError(dir, err);
      }
    }
    break;
  }
  for (const p of missing.reverse()) {
    try {
      fs.mkdirSync(p);
    } catch (err) {
      // EEXIST: another command made it in between, which is as good.
      if (errnoOf(err) !== 'EEXIST') throw unwritableError(dir, err);
    }
  }
}

// probe opens an existing database read-only and proves it is a SQLite file of a schema we understand.
function probe(dbPath: string, mode: StoreMode): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true });
  } catch (err) {
    if (isCorruptError(err)) throw corruptError(dbPath, err);
    throw mode === 'write' ? unwritableError(dbPath, err) : unreadableError(dbPath, err);
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    checkHeader(db, dbPath);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof MfluxError) throw err;
    throw unreadableError(dbPath, err);
  }
}

// checkHeader runs only reads; better-sqlite3 opens garbage happily and reports SQLITE_NOTADB on the first statement.
// Readers run it too: a database whose schema is not the one its user_version promises must fail loudly (StateCorrupt),
// never read as an empty cluster.
function checkHeader(db: Database.Database, dbPath: string): void {
  let version: number;
  let actual: SchemaEntry[];
  try {
    version = userVersion(db, dbPath);
    actual = schemaOf(db);
  } catch (err) {
    throw isSqliteError(err) ? sqliteError(dbPath, err) : err;
  }
  if (version > SCHEMA_VERSION) throw tooNewError(dbPath, version);
  const diff = schemaDifference(expectedSchema(version), actual);
  if (diff) {
    throw new MfluxError(
      'StateCorrupt',
      `schema does not match its user_version ${version} (${diff}); it was left untouched — move it aside or restore a backup`,
      { subject: dbPath, details: { version } },
    );
  }
}

// user_version is a signed 32-bit integer in the header; only 0…SCHEMA_VERSION (or newer: refused as too new) mean anything.
function userVersion(db: Database.Database, dbPath: string): number {
  const v = db.pragma('user_version', { simple: true });
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new MfluxError('StateCorrupt', `PRAGMA user_version is ${String(v)}, not a schema version mflux writes; it was left untouched — move it aside or restore a backup`, {
      subject: dbPath,
      details: { version: v },
    });
  }
  return v;
}

/** SchemaEntry is one table or index as sqlite_master records it. */
interface SchemaEntry {
  type: string;
  name: string;
  sql: string;
}

function schemaOf(db: Database.Database): SchemaEntry[] {
  // sqlite_* objects (sqlite_sequence, sqlite_stat1 after ANALYZE, autoindexes) are SQLite's own and vary legitimately.
  return db
    .prepare<[], SchemaEntry>("SELECT type, name, coalesce(sql, '') AS sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name")
    .all();
}

const expectedSchemas = new Map<number, SchemaEntry[]>();

// expectedSchema replays migrations 0…version-1 on an in-memory database: SQLite stores the exact CREATE text
// (ALTER TABLE rewrites it deterministically), so the same migrations always give the same sqlite_master.
function expectedSchema(version: number): SchemaEntry[] {
  let cached = expectedSchemas.get(version);
  if (!cached) {
    const mem = new Database(':memory:');
    try {
      for (let v = 0; v < Math.min(version, SCHEMA_VERSION); v++) mem.exec(MIGRATIONS[v]!);
      cached = schemaOf(mem);
    } finally {
      mem.close();
    }
    expectedSchemas.set(version, cached);
  }
  return cached;
}

function schemaDifference(expected: SchemaEntry[], actual: SchemaEntry[]): string | undefined {
  const have = new Map(actual.map((e) => [`${e.type} ${e.name}`, e]));
  const want = new Map(expected.map((e) => [`${e.type} ${e.name}`, e]));
  for (const [k, e] of want) {
    const a = have.get(k);
    if (!a) return `${k} is missing`;
    if (normalSql(a.sql) !== normalSql(e.sql)) return `${k} differs`;
  }
  for (const k of have.keys()) if (!want.has(k)) return `unexpected ${k}`;
  return undefined;
}

function normalSql(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim();
}

function migrate(db: Database.Database, dbPath: string): void {
  // IMMEDIATE takes the write lock before reading user_version, so the check and the upgrade cannot interleave with another connection.
  db.transaction(() => {
    const from = userVersion(db, dbPath);
    if (from > SCHEMA_VERSION) throw tooNewError(dbPath, from);
    for (let v = from; v < SCHEMA_VERSION; v++) {
      try {
        db.exec(MIGRATIONS[v]!);
      } catch (err) {
        // A full disk or read-only file is reported as such; anything else means the tables are not what user_version says.
        const mapped = sqliteError(dbPath, err);
        if (mapped.code !== 'Internal') throw mapped;
        throw new MfluxError('StateCorrupt', `migration ${v} → ${v + 1} failed (${reason(err)}); the schema does not match user_version ${from}; nothing was changed`, {
          subject: dbPath,
          cause: err,
        });
      }
    }
    if (from !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/**
 * TEST_MAX_PAGES_ENV names a test-only knob: when set to N, a writer's connection gets
 * `PRAGMA max_page_count = N`, so the database cannot grow past N pages and writes fail with a
 * real SQLITE_FULL. It exists so tests can fill "the disk" of a real process; not for production.
 */
export const TEST_MAX_PAGES_ENV = 'MFLUX_TEST_MAX_PAGE_COUNT';

/** PAGE_SIZE is the page size of a new state.db, in bytes. */
const PAGE_SIZE = 65_536;

function applyTestPageLimit(db: Database.Database): void {
  const raw = process.env[TEST_MAX_PAGES_ENV];
  if (!raw) return;
  const n = Number(raw);
  if (Number.isSafeInteger(n) && n > 0) db.pragma(`max_page_count = ${n}`);
}

function prepare(db: Database.Database, version: number): Statements {
  // Before migration 9 (only a reader sees such a database) events are JSON rows in `events`, and objects have no parts.
  const current = version >= SCHEMA_VERSION;
  const v9 = version >= 9;
  return {
    selectObjects: db.prepare<[], [string, string | null]>(`SELECT json, ${v9 ? 'parts' : 'NULL'} FROM objects ORDER BY kind, namespace, name`).raw(),
    selectEvents: db
      .prepare<[], EventRow>(
        current ? `SELECT ${EVENT_ROW_COLUMNS} FROM event_rows AS r LEFT JOIN event_shapes AS s ON s.id = r.shape ORDER BY r.seq` : v9 ? `SELECT ${EVENT_COLUMNS} FROM event_records ORDER BY seq` : `SELECT ${LEGACY_EVENT_COLUMNS} FROM events ORDER BY seq`,
      )
      .raw(),
    selectMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
    selectParts: v9 ? db.prepare<[], [string, string]>('SELECT id, json FROM object_parts').raw() : undefined,
    write: current
      ? {
          upsertObject: db.prepare<[string, string, string, string, string | null]>(
            'INSERT INTO objects (kind, namespace, name, json, parts) VALUES (?, ?, ?, ?, ?) ' +
              'ON CONFLICT (kind, namespace, name) DO UPDATE SET json = excluded.json, parts = excluded.parts',
          ),
          deleteObject: db.prepare<[string, string, string]>('DELETE FROM objects WHERE kind = ? AND namespace = ? AND name = ?'),
          // REPLACE: an event seen again is rewritten whole (its count and last timestamp changed); the table has no other index to keep.
          upsertEvent: db.prepare<EventRowV10>(`INSERT OR REPLACE INTO event_rows (${EVENT_ROW_V10}) VALUES (${EVENT_ROW_V10.split(',').map(() => '?').join(', ')})`),
          selectShapes: db.prepare<[], ShapeRow>(`SELECT id, ${SHAPE_COLUMNS} FROM event_shapes`).raw(),
          insertShape: db.prepare<ShapeFields>(`INSERT INTO event_shapes (${SHAPE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`),
          deleteEvent: db.prepare<[number]>('DELETE FROM event_rows WHERE seq = ?'),
          setMeta: db.prepare<[string, string]>('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
          insertPart: db.prepare<[string, string]>('INSERT INTO object_parts (id, json) VALUES (?, ?) ON CONFLICT (id) DO NOTHING'),
          selectPart: db.prepare<[string], string>('SELECT json FROM object_parts WHERE id = ?').pluck(),
          countParts: db.prepare<[], number>('SELECT count(*) FROM object_parts').pluck(),
          countObjects: db.prepare<[], number>('SELECT count(*) FROM objects').pluck(),
          sweepParts: db.prepare<[]>('DELETE FROM object_parts WHERE id NOT IN (SELECT p.value FROM objects, json_each(objects.parts) AS p WHERE objects.parts IS NOT NULL)'),
        }
      : undefined,
  };
}

/** PART_SWEEP_SLACK is how many more parts than objects the table may hold before unused ones are swept. */
const PART_SWEEP_SLACK = 1000;

/**
 * partSharer stores the parts of one commit's objects: each distinct value once per commit (by
 * identity), each distinct JSON once ever (by its id). A digest that names different JSON already
 * stored (a collision, 64 bits) keeps that value inline instead of sharing it.
 */
function partSharer(w: WriteStatements): { share: (value: object) => string | undefined; inserted: () => number } {
  const seen = new Map<object, string | undefined>();
  // Many distinct values have equal JSON (100k pods hold ~50k frozen parts with 7 JSONs between
  // them: every pod of an image bound to one node has an equal spec): each JSON is digested, stored
  // and checked once per commit, not once per value.
  const byJson = new Map<string, string | undefined>();
  let inserted = 0;
  return {
    share(value) {
      if (seen.has(value)) return seen.get(value);
      const json = JSON.stringify(value);
      let id: string | undefined;
      if (byJson.has(json)) id = byJson.get(json);
      else {
        id = partId(json);
        if (w.insertPart.run(id, json).changes > 0) inserted++;
        else if (w.selectPart.get(id) !== json) id = undefined;
        byJson.set(json, id);
      }
      seen.set(value, id);
      return id;
    },
    inserted: () => inserted,
  };
}

// storedForm is an object's row (its JSON and part refs), failing with Invalid naming it (by its key) when it cannot be JSON.
function storedForm(obj: KubeObject, share: (value: object) => string | undefined, [kind, namespace, name]: [string, string, string]): { json: string; parts: string | null } {
  try {
    return splitObject(obj, share);
  } catch (err) {
    throw new MfluxError('Invalid', `cannot be stored as JSON: ${reason(err)}`, { subject: objectRef(kind, namespace || undefined, name), cause: err });
  }
}

// EVENT_COLUMNS are event_records' columns (schema 9) in the order fromRow reads them.
const EVENT_COLUMNS =
  'seq, namespace, name, object_kind, object_namespace, object_name, object_uid, object_api_version, object_version, type, reason, message, component, first_timestamp, last_timestamp, count';

/** EventRow is an event as fromRow reads it, field by field (absent optional fields are NULL): an event_records row, or an event_rows row with its shape. */
type EventRow = [
  seq: number,
  namespace: string,
  name: string,
  objectKind: string,
  objectNamespace: string | null,
  objectName: string,
  objectUid: string | null,
  objectApiVersion: string | null,
  objectVersion: string | null,
  type: string,
  reason: string,
  message: string,
  component: string,
  firstTimestamp: string,
  lastTimestamp: string,
  count: number,
];

/** ShapeFields are what an event_shapes row holds: namespace, object kind, object namespace, object apiVersion, type, reason, component. */
type ShapeFields = [string, string, string | null, string | null, string, string, string];
type ShapeRow = [number, ...ShapeFields];

const SHAPE_COLUMNS = 'namespace, object_kind, object_namespace, object_api_version, type, reason, component';

// EVENT_ROW_V10 are event_rows' columns in the order insertEvent writes them.
const EVENT_ROW_V10 = 'seq, shape, name_suffix, name, object_name, object_uid, object_version, message, first_timestamp, last_timestamp, count';
type EventRowV10 = [number, number, string | null, string | null, string, string | null, string | null, string, string, string | null, number];

// EVENT_ROW_COLUMNS reads an event_rows row joined with its shape as an EventRow (a row whose shape is missing reads a NULL namespace).
const EVENT_ROW_COLUMNS = `r.seq, s.namespace, coalesce(r.name, r.object_name || '.' || r.name_suffix), s.object_kind, s.object_namespace,
  r.object_name, r.object_uid, s.object_api_version, r.object_version, s.type, s.reason, r.message, s.component,
  r.first_timestamp, coalesce(r.last_timestamp, r.first_timestamp), r.count`;

/**
 * EventShapes is the event_shapes table of one commit: the id of each shape, adding those not there
 * yet. Looked up by its fields joined with NUL (no array or JSON built for each of a save's 370k
 * events); a hit is checked field by field, so two shapes that join alike (a field holding NUL)
 * stay apart.
 */
class EventShapes {
  private readonly byKey = new Map<string, ShapeRow>();
  private readonly byJson = new Map<string, number>();

  constructor(private readonly w: WriteStatements) {
    for (const row of w.selectShapes.iterate()) {
      const r = row as ShapeRow;
      const key = shapeKey(r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
      if (!this.byKey.has(key)) this.byKey.set(key, r);
      this.byJson.set(JSON.stringify(r.slice(1)), r[0]);
    }
  }

  idOf(namespace: string, kind: string, objectNamespace: string | null, apiVersion: string | null, type: string, reason: string, component: string): number {
    const key = shapeKey(namespace, kind, objectNamespace, apiVersion, type, reason, component);
    const hit = this.byKey.get(key);
    if (hit && hit[1] === namespace && hit[2] === kind && hit[3] === objectNamespace && hit[4] === apiVersion && hit[5] === type && hit[6] === reason && hit[7] === component) return hit[0];
    const fields: ShapeFields = [namespace, kind, objectNamespace, apiVersion, type, reason, component];
    const json = JSON.stringify(fields);
    let id = this.byJson.get(json);
    if (id === undefined) {
      id = Number(this.w.insertShape.run(...fields).lastInsertRowid);
      this.byJson.set(json, id);
    }
    if (!hit) this.byKey.set(key, [id, ...fields]);
    return id;
  }
}

function shapeKey(namespace: string, kind: string, objectNamespace: string | null, apiVersion: string | null, type: string, reason: string, component: string): string {
  return `${namespace}\u0000${kind}\u0000${objectNamespace ?? '\u0001'}\u0000${apiVersion ?? '\u0001'}\u0000${type}\u0000${reason}\u0000${component}`;
}

// insertEvent writes an event as its event_rows row (the arguments in EVENT_ROW_V10's order, with no array built and spread for each of a large save's 370k events).
function insertEvent(stmt: Database.Statement<EventRowV10>, shapes: EventShapes, e: StoredEvent): void {
  const io = e.involvedObject;
  const shape = shapes.idOf(e.namespace, io.kind, io.namespace ?? null, io.apiVersion ?? null, e.type, e.reason, e.component);
  // The event log names an event "<object name>.<suffix>": only the suffix is stored then.
  const n = io.name.length;
  const suffixed = e.name.length > n && e.name.charCodeAt(n) === 46 && e.name.startsWith(io.name);
  stmt.run(
    e.seq,
    shape,
    suffixed ? e.name.slice(n + 1) : null,
    suffixed ? null : e.name,
    io.name,
    io.uid ?? null,
    io.resourceVersion ?? null,
    e.message,
    e.firstTimestamp,
    e.lastTimestamp === e.firstTimestamp ? null : e.lastTimestamp,
    e.count,
  );
}

// fromRow builds a stored event back from its row; `once` returns one shared copy of equal strings.
function fromRow(r: EventRow, once: (v: string) => string): StoredEvent {
  // Keys in the order the event log writes them, so an event reads back (and prints as JSON) exactly as it was recorded.
  const involvedObject: StoredEvent['involvedObject'] = { kind: once(r[3]) } as StoredEvent['involvedObject'];
  if (r[4] !== null) involvedObject.namespace = once(r[4]);
  involvedObject.name = once(r[5]);
  if (r[6] !== null) involvedObject.uid = once(r[6]);
  if (r[7] !== null) involvedObject.apiVersion = once(r[7]);
  if (r[8] !== null) involvedObject.resourceVersion = r[8];
  return {
    seq: r[0],
    name: r[2],
    namespace: once(r[1]),
    involvedObject,
    type: r[9] === 'Warning' ? 'Warning' : 'Normal',
    reason: once(r[10]),
    message: r[11],
    component: once(r[12]),
    firstTimestamp: once(r[13]),
    lastTimestamp: once(r[14]),
    count: r[15],
  };
}

// keyOf matches core refOf(): a namespaced object without a namespace is in "default", a cluster-scoped one has ''.
function keyOf(obj: KubeObject): [string, string, string] {
  const namespace = isNamespaced(obj.kind) ? obj.metadata.namespace || 'default' : '';
  return [obj.kind, namespace, obj.metadata.name];
}

// compareKeys orders object keys as SQLite's BINARY collation orders the primary key (for ASCII names exactly; it only needs to be close).
function compareKeys(a: [string, string, string], b: [string, string, string]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

// parseRef inverts objectRef(): "Kind/ns/name" or, for cluster-scoped kinds, "Kind/name".
function parseRef(ref: string): [string, string, string] {
  const parts = ref.split('/');
  if (parts.length === 3 && parts.every((p) => p !== '')) return [parts[0]!, parts[1]!, parts[2]!];
  if (parts.length === 2 && parts.every((p) => p !== '')) return [parts[0]!, '', parts[1]!];
  throw new MfluxError('Invalid', 'delete key must be "Kind/namespace/name" or "Kind/name"', { subject: ref });
}

// heldLocks are the lock tokens this process holds now, by state dir: a lock file with our pid and one of these tokens
// is a live second open in this process; our pid with any other token was left by an earlier process that had our pid.
const heldLocks = new Map<string, string>();

function acquireLock(dir: string): LockInfo {
  const lockPath = path.join(dir, LOCK_FILE);
  const started = processStart(process.pid);
  const mine: LockInfo = { pid: process.pid, hostname: os.hostname(), token: randomUUID(), ...(started ? { started } : {}) };
  // Two tries: the second only after removing a lock whose holder is dead. A race in which two takers both
  // remove the same stale lock is possible in principle; it needs two commands started within microseconds
  // of each other against a crashed writer's dir, and the loser then finds the winner's lock on its retry.
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(lockPath, 'wx', 0o644);
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw unwritableError(lockPath, err);
      const holder = readLock(lockPath);
      if (holder === 'gone') continue;
      if (attempt === 0 && holder !== 'unreadable' && lockState(dir, holder) !== 'held') {
        try {
          fs.unlinkSync(lockPath);
        } catch (unlinkErr) {
          if (errnoOf(unlinkErr) !== 'ENOENT') throw unwritableError(lockPath, unlinkErr);
        }
        continue;
      }
      throw lockedError(dir, lockPath, holder);
    }
    try {
      fs.writeSync(fd, JSON.stringify(mine) + '\n');
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(lockPath, { force: true });
      throw unwritableError(lockPath, err);
    }
    fs.closeSync(fd);
    heldLocks.set(dir, mine.token);
    return mine;
  }
  const holder = readLock(lockPath);
  throw lockedError(dir, lockPath, holder === 'gone' ? 'unreadable' : holder);
}

function readLock(lockPath: string): LockInfo | 'unreadable' | 'gone' {
  let text: string;
  try {
    text = fs.readFileSync(lockPath, 'utf8');
  } catch (err) {
    return errnoOf(err) === 'ENOENT' ? 'gone' : 'unreadable';
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockInfo>;
    if (typeof parsed.pid !== 'number' || !Number.isInteger(parsed.pid) || parsed.pid <= 0) return 'unreadable';
    return {
      pid: parsed.pid,
      hostname: typeof parsed.hostname === 'string' ? parsed.hostname : '',
      token: String(parsed.token ?? ''),
      ...(typeof parsed.started === 'string' && parsed.started ? { started: parsed.started } : {}),
    };
  } catch {
    return 'unreadable';
  }
}

/**
 * processStart identifies a running process beyond its pid: on Linux, the boot's id
 * (/proc/sys/kernel/random/boot_id) and the process's start time in clock ticks since boot
 * (/proc/<pid>/stat field 22). Same pid with a different value is a different process (the pid
 * was reused, or the machine rebooted). Undefined where /proc is not available (then only
 * "is the pid alive" can be asked).
 */
export function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) is in parentheses and may itself contain spaces or parentheses: count from the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = rest[22 - 3];
    if (!ticks || !/^\d+$/.test(ticks)) return undefined;
    const boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return `${boot}/${ticks}`;
  } catch {
    return undefined;
  }
}

/** LockState is a lock's holder as seen from here: 'held' (alive, or not knowable: another host), or why it is stale. */
export type LockState = 'held' | 'dead' | 'reused-pid' | 'earlier-incarnation';

// lockState judges a lock file's holder. A pid only means something on the host that wrote it: a lock from
// elsewhere (shared filesystem) is never judged stale here; `mflux force-unlock` is for that.
function lockState(dir: string, holder: LockInfo): LockState {
  if (holder.hostname && holder.hostname !== os.hostname()) return 'held';
  if (holder.pid === process.pid) {
    // Our own pid: either this very process holds it (a second open of the same dir), or an earlier process
    // with the same pid crashed with it held — a daemon restarted in a container is pid 1 every time.
    return heldLocks.get(dir) === holder.token ? 'held' : 'earlier-incarnation';
  }
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to someone else, so it is alive.
    if (errnoOf(err) === 'ESRCH') return 'dead';
  }
  // Alive — but is it the process that wrote the lock? A lock without a start time (older mflux) cannot tell.
  if (holder.started) {
    const now = processStart(holder.pid);
    if (now !== undefined && now !== holder.started) return 'reused-pid';
  }
  return 'held';
}

// releaseLock removes the lock only if it is still ours, so a close after a takeover cannot free someone else's lock.
function releaseLock(dir: string, lock: LockInfo): void {
  if (heldLocks.get(dir) === lock.token) heldLocks.delete(dir);
  const lockPath = path.join(dir, LOCK_FILE);
  const holder = readLock(lockPath);
  if (typeof holder === 'object' && holder.pid === lock.pid && holder.token === lock.token) {
    fs.rmSync(lockPath, { force: true });
  }
}

/**
 * forceUnlock removes a state dir's writer lock whose ID (the token the StateLocked message
 * names) is `lockId`, like `terraform force-unlock`: for a lock left by a process on another host
 * (or one that cannot be judged). A lock held by a process alive on this host is refused: stop it
 * instead. Returns the holder that was removed.
 */
export function forceUnlock(dir: string, lockId: string): LockInfo | 'unreadable' {
  const abs = path.resolve(dir);
  const lockPath = path.join(abs, LOCK_FILE);
  const holder = readLock(lockPath);
  if (holder === 'gone') throw new MfluxError('NotFound', 'state dir is not locked', { subject: abs, details: { lockPath } });
  if (holder !== 'unreadable') {
    if (holder.token !== lockId) {
      throw new MfluxError('Usage', `lock ID ${JSON.stringify(lockId)} does not match the lock held (lock ID ${holder.token}, pid ${holder.pid}${hostPart(holder)}); nothing was removed`, {
        subject: abs,
        details: { lockPath, pid: holder.pid, hostname: holder.hostname, lockId: holder.token },
      });
    }
    const local = !holder.hostname || holder.hostname === os.hostname();
    if (local && lockState(abs, holder) === 'held') {
      throw new MfluxError('StateLocked', `pid ${holder.pid} on this host still holds the lock and is running; stop it instead of unlocking (nothing was removed)`, {
        subject: abs,
        details: { lockPath, pid: holder.pid, hostname: holder.hostname, lockId: holder.token },
      });
    }
  } else if (lockId !== 'unreadable') {
    throw new MfluxError('Usage', `lock file ${lockPath} is unreadable and has no lock ID; pass "unreadable" as the lock ID to remove it`, { subject: abs, details: { lockPath } });
  }
  try {
    fs.rmSync(lockPath, { force: true });
  } catch (err) {
    throw unwritableError(lockPath, err);
  }
  return holder;
}

function hostPart(holder: LockInfo): string {
  return holder.hostname && holder.hostname !== os.hostname() ? ` on host ${holder.hostname}` : '';
}

function lockedError(dir: string, lockPath: string, holder: LockInfo | 'unreadable'): MfluxError {
  if (holder === 'unreadable') {
    return new MfluxError(
      'StateLocked',
      `state dir is locked (lock file ${lockPath} is unreadable; if no mflux command is running, run \`mflux force-unlock unreadable --state ${dir}\`)`,
      { subject: dir, details: { lockPath } },
    );
  }
  const remote = Boolean(holder.hostname && holder.hostname !== os.hostname());
  const how = remote
    ? `mflux cannot tell from here whether it still runs; if it does not, run \`mflux force-unlock ${holder.token} --state ${dir}\``
    : 'another mflux command is writing it';
  return new MfluxError('StateLocked', `state dir is locked by pid ${holder.pid}${hostPart(holder)} (lock ID ${holder.token}; ${how})`, {
    subject: dir,
    details: { pid: holder.pid, hostname: holder.hostname, lockPath, lockId: holder.token },
  });
}

function tooNewError(dbPath: string, version: number): MfluxError {
  return new MfluxError(
    'StateSchemaTooNew',
    `database schema version ${version} is newer than this mflux understands (${SCHEMA_VERSION}); ` +
      'a newer mflux wrote it — upgrade mflux to use this state dir (the file was left untouched)',
    { subject: dbPath, details: { version, supported: SCHEMA_VERSION } },
  );
}

function corruptError(dbPath: string, err: unknown): MfluxError {
  return new MfluxError(
    'StateCorrupt',
    `is not a readable mflux state database (${reason(err)}); it was left untouched — move it aside or restore a backup`,
    { subject: dbPath, cause: err },
  );
}

function unwritableError(p: string, err: unknown): MfluxError {
  return new MfluxError('StateUnwritable', `cannot create or write state: ${reason(err)}`, { subject: p, cause: err });
}

// No read-specific code exists; a file we may not even read is reported as Internal with the OS reason.
function unreadableError(p: string, err: unknown): MfluxError {
  return new MfluxError('Internal', `cannot read state database: ${reason(err)}`, { subject: p, cause: err });
}

/**
 * sqliteError turns what SQLite threw into a coded error naming the file: a full disk (or a full
 * database: max_page_count) is DiskFull, a read-only file or dir StateUnwritable, a busy writer past
 * the timeout StateLocked, damage StateCorrupt; anything else Internal with SQLite's code. Already
 * coded errors pass through.
 */
export function sqliteError(dbPath: string, err: unknown): MfluxError {
  if (err instanceof MfluxError) return err;
  const code = errnoOf(err) ?? '';
  if (isCorruptError(err)) return corruptError(dbPath, err);
  if (code === 'SQLITE_FULL') {
    return new MfluxError('DiskFull', `no space left to write state (${reason(err)}); nothing from this write was saved — free space and it is retried`, {
      subject: dbPath,
      cause: err,
      details: { sqlite: code, retryable: true },
    });
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM' || code.startsWith('SQLITE_IOERR')) {
    return new MfluxError('StateUnwritable', `cannot write state (${code}: ${reason(err)}); check the file's and the dir's permissions and the filesystem`, {
      subject: dbPath,
      cause: err,
      details: { sqlite: code, retryable: true },
    });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new MfluxError('StateLocked', `database stayed busy for ${BUSY_TIMEOUT_MS} ms (${reason(err)})`, { subject: dbPath, cause: err, details: { sqlite: code, retryable: true } });
  }
  return new MfluxError('Internal', `state database error${code ? ` ${code}` : ''}: ${reason(err)}`, { subject: dbPath, cause: err, details: code ? { sqlite: code } : {} });
}

/** isSqliteError is true for what SQLite itself raised (a SQLITE_* code), as opposed to our own or a programming error. */
export function isSqliteError(err: unknown): boolean {
  return (errnoOf(err) ?? '').startsWith('SQLITE_');
}

function isCorruptError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'));
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
