import { useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent } from 'react';
import { $api, api } from '../api/client';
import { toProblem, unwrap, type Problem } from '../api/problem';
import { fileQueries, type FileOwner } from '../api/queries';
import type { FileRecord as FileRow, StoredFile } from '../api/types';
import { RoleGuard } from '../auth/RoleGuard';
import { formatTime } from './time';

const filesPath = (o: FileOwner) => fileQueries(o).listPath;
const filePath = (o: FileOwner) => fileQueries(o).itemPath;

/** A size in bytes as people read it: 1.2 MB. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  do {
    v /= 1000;
    u++;
  } while (v >= 1000 && u < units.length - 1);
  return `${v.toPrecision(3)} ${units[u]}`;
}

/** Saves a file of owner id through a blob URL (the download needs the bearer token). */
async function download(owner: FileOwner, ownerId: string, f: FileRow): Promise<void> {
  const res = await api.GET(filePath(owner), { params: { path: { id: ownerId, file_id: f.id } }, parseAs: 'blob' });
  const blob = unwrap(res) as unknown as Blob;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = f.name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * The files of a record: a list with downloads and, where the record still
 * takes files and the role may, an upload and deletes. Every file shows its
 * SHA-256, which the server checks on every download.
 */
export function FilesCard({
  owner,
  ownerId,
  writable,
  permission,
  title = 'Files',
  onUploaded,
}: {
  owner: FileOwner;
  ownerId: string;
  /** Whether the record takes files now (a running run, an unsigned entry, a draft). */
  writable: boolean;
  /** The permission that uploads and deletes. */
  permission: string;
  title?: string;
  onUploaded?: (f: StoredFile) => void;
}) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const queryClient = useQueryClient();
  const opts = { params: { path: { id: ownerId } } };
  const q = $api.useQuery('get', filesPath(owner), opts);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: fileQueries(owner).list() });

  async function upload(e: FormEvent) {
    e.preventDefault();
    setProblem(null);
    setNote(null);
    const f = input.current?.files?.[0];
    if (!f) {
      setProblem({ type: 'about:blank', title: 'No file', status: 0, code: 'invalid', detail: 'Choose a file first.' });
      return;
    }
    const form = new FormData();
    form.append('file', f, f.name);
    setBusy(true);
    try {
      const stored = unwrap(
        await api.POST(filesPath(owner), {
          params: { path: { id: ownerId } },
          body: form as never,
          bodySerializer: (b) => b as unknown as FormData,
        }),
      );
      setNote(`${stored.name}: ${stored.note}`);
      if (input.current) input.current.value = '';
      await refresh();
      onUploaded?.(stored);
    } catch (err) {
      setProblem(toProblem(err));
    } finally {
      setBusy(false);
    }
  }

  async function remove(f: FileRow) {
    setProblem(null);
    try {
      unwrap(await api.DELETE(filePath(owner), { params: { path: { id: ownerId, file_id: f.id } } }));
      setNote(`${f.name} deleted.`);
      await refresh();
    } catch (err) {
      setProblem(toProblem(err));
    }
  }

  const files = q.data?.items ?? [];
  return (
    <section className="card" aria-labelledby={`${id}-h`} data-testid="files-card">
      <h2 id={`${id}-h`}>{title}</h2>
      {q.isError && <div className="alert alert-error" role="alert">{toProblem(q.error).detail}</div>}
      {files.length === 0 && q.isSuccess && <p className="muted">No files.</p>}
      {files.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="files-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Size</th>
                <th scope="col">SHA-256</th>
                <th scope="col">Uploaded</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {files.map((f) => (
                <tr key={f.id}>
                  <td>
                    <button type="button" className="link" onClick={() => void download(owner, ownerId, f).catch((err) => setProblem(toProblem(err)))}>
                      {f.name}
                    </button>
                  </td>
                  <td>{f.media_type}</td>
                  <td>{formatBytes(f.size)}</td>
                  <td>
                    <code title={f.sha256}>{f.sha256.slice(0, 12)}…</code>
                  </td>
                  <td>{formatTime(f.created_at)}</td>
                  <td>
                    {writable && (
                      <RoleGuard permission={permission}>
                        <button type="button" className="secondary" onClick={() => void remove(f)} aria-label={`Delete ${f.name}`}>
                          Delete
                        </button>
                      </RoleGuard>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {writable && (
        <RoleGuard permission={permission}>
          <form className="inline-form" onSubmit={(e) => void upload(e)} data-testid="file-upload" noValidate>
            <div className="field">
              <label htmlFor={id}>Attach a file</label>
              <input id={id} ref={input} type="file" data-testid="file-input" />
            </div>
            <button type="submit" disabled={busy} data-testid="upload-file">
              {busy ? 'Uploading…' : 'Upload file'}
            </button>
          </form>
        </RoleGuard>
      )}
      {note && (
        <div className="alert alert-info" role="status" data-testid="file-note">
          {note}
        </div>
      )}
      {problem && (
        <div className="alert alert-error" role="alert" data-testid="file-errors">
          {problem.detail}
        </div>
      )}
    </section>
  );
}
