import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations';

/** Opens (creating it if missing) and migrates the SQLite file every part of the store shares. */
export function openDatabase(file: string): Database.Database {
  if (file !== ':memory:') keepPrivate(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // FULL: a committed transition survives a power loss, not only a process crash.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // SQLite's own default page cache (2 MB: sqlite.org/pragma.html#pragma_cache_size says
  // -2000). better-sqlite3 builds SQLite with 16 MB (its deps/defines.gypi:
  // SQLITE_DEFAULT_CACHE_SIZE=-16000), which a busy hour filled and malloc never gave back:
  // 16 MB of the 1,000-idle-incident RSS (issue 20). The pages a transition reads are the
  // last few incidents', hot in this cache or in the OS's.
  db.pragma('cache_size = -2000');
  migrate(db);
  return db;
}

/**
 * The file holds transcripts (VM output, who approved what): readable by this user only.
 * A directory we create is 0700 and a file we create 0600 (an empty file is a new
 * database to SQLite). SQLite creates the -wal and -shm files with the database file's
 * permissions (sqlite.org/src/file/src/os_unix.c: findCreateFileMode for the WAL,
 * unixOpenSharedMemory for the -shm). An existing file and its companions lose the bits
 * that let others read them.
 */
function keepPrivate(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (!existsSync(f)) continue;
    const mode = statSync(f).mode & 0o777;
    if (mode & 0o007) chmodSync(f, mode & 0o770);
  }
}
