/**
 * Files: resumable upload over tus (progress, pause, resume; tus-js-client loads only when an
 * upload starts), the list, downloads with the session's token, and share links.
 */
import { useRef, useState } from 'preact/hooks';
import type { Upload } from 'tus-js-client';
import { api, authedRaw, ok } from '../api/client';
import { ApiProblem, asProblem } from '../api/problem';
import { accessToken } from '../api/session';
import { RequireUser } from '../require-user';
import { dateTime } from '../ui/format';
import { Page } from '../ui/page';
import { ProblemAlert } from '../ui/problem-alert';
import { useAction, useLoad } from '../ui/use-load';

const size = (n: number) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1048576).toFixed(1)} MB`);

type UploadState = { name: string; sent: number; total: number; paused: boolean; done: boolean };

function Uploader(props: { onDone: () => void }) {
  const [state, setState] = useState<UploadState | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const upload = useRef<Upload | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const start = async () => {
    const file = input.current?.files?.[0];
    if (!file) return;
    setProblem(null);
    const tus = await import('tus-js-client');
    const u = new tus.Upload(file, {
      endpoint: '/api/v1/files/tus',
      chunkSize: 256 * 1024,
      retryDelays: [0, 1000, 3000],
      removeFingerprintOnSuccess: true,
      metadata: { filename: file.name, filetype: file.type || 'application/octet-stream' },
      onBeforeRequest: async (req) => {
        const token = await accessToken();
        if (token) req.setHeader('Authorization', `Bearer ${token}`);
      },
      onProgress: (sent, total) => setState((s) => (s ? { ...s, sent, total } : s)),
      onSuccess: () => {
        setState((s) => (s ? { ...s, done: true, sent: s.total } : s));
        upload.current = null;
        props.onDone();
      },
      onError: (err) => {
        const res = (err as { originalResponse?: { getStatus(): number; getBody(): string } }).originalResponse;
        let body = {};
        try {
          body = JSON.parse(res?.getBody() ?? '{}');
        } catch {}
        setProblem(res ? new ApiProblem({ status: res.getStatus(), ...body }) : asProblem(err));
        setState((s) => (s ? { ...s, paused: true } : s));
      },
    });
    upload.current = u;
    setState({ name: file.name, sent: 0, total: file.size, paused: false, done: false });
    const previous = await u.findPreviousUploads();
    if (previous[0]) u.resumeFromPreviousUpload(previous[0]);
    u.start();
  };

  const pause = async () => {
    await upload.current?.abort();
    setState((s) => (s ? { ...s, paused: true } : s));
  };
  const resume = () => {
    upload.current?.start();
    setState((s) => (s ? { ...s, paused: false } : s));
  };

  const running = state && !state.done && !state.paused;
  return (
    <section class="card" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload a file</h2>
      <ProblemAlert problem={problem} focus />
      <div class="form inline">
        <div class="field">
          <label for="file">File</label>
          <input id="file" type="file" ref={input} disabled={Boolean(running)} />
        </div>
        <button type="button" onClick={start} disabled={Boolean(running)}>
          Upload
        </button>
        {running ? (
          <button type="button" class="secondary" onClick={pause}>
            Pause
          </button>
        ) : null}
        {state?.paused && upload.current ? (
          <button type="button" onClick={resume}>
            Resume
          </button>
        ) : null}
      </div>
      {state ? (
        <div class="progress">
          <label for="upload-progress">
            {state.name}: {state.done ? 'uploaded' : state.paused ? 'paused' : 'uploading'} ({size(state.sent)} of {size(state.total)})
          </label>
          <progress id="upload-progress" max={state.total || 1} value={state.sent} />
        </div>
      ) : null}
    </section>
  );
}

function FilesView() {
  const files = useLoad(() => ok(api.GET('/api/v1/files', { params: { query: { limit: 100 } } })), []);
  const action = useAction();
  const [links, setLinks] = useState<Record<string, string>>({});

  const download = (id: string, name: string) =>
    action.run(async () => {
      const res = await authedRaw(`/api/v1/files/${id}/content?disposition=attachment`);
      if (!res.ok) throw new ApiProblem(await res.json().catch(() => ({})), res);
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });

  const share = async (id: string) => {
    const link = await action.run(() => ok(api.POST('/api/v1/files/{id}/links', { params: { path: { id } }, body: { expiresIn: 3600 } })));
    if (link) setLinks((l) => ({ ...l, [id]: new URL(link.url, location.href).href }));
  };

  const items = files.data?.items ?? [];
  return (
    <Page title="Files" busy={files.busy}>
      <Uploader onDone={() => void files.reload()} />
      <ProblemAlert problem={files.problem ?? action.problem} focus={Boolean(action.problem)} />
      {files.data && items.length === 0 ? <p>No files yet.</p> : null}
      {items.length ? (
        <table>
          <caption class="visually-hidden">Your files</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Size</th>
              <th scope="col">Uploaded</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((f) => (
              <tr key={f.id}>
                <td>{f.name}</td>
                <td>{size(f.size)}</td>
                <td>{dateTime(f.createdAt)}</td>
                <td class="row">
                  <button type="button" class="link" onClick={() => download(f.id, f.name)}>
                    Download <span class="visually-hidden">{f.name}</span>
                  </button>
                  <button type="button" class="link" onClick={() => share(f.id)}>
                    Share link <span class="visually-hidden">for {f.name}</span>
                  </button>
                  {links[f.id] ? (
                    <input
                      class="share"
                      readOnly
                      value={links[f.id]}
                      aria-label={`Share link for ${f.name}`}
                      onFocus={(e) => e.currentTarget.select()}
                    />
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Page>
  );
}

export function Files() {
  return (
    <RequireUser title="Files">
      <FilesView />
    </RequireUser>
  );
}
