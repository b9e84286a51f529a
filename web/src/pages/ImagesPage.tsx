// Agent images: those present in the engine, and a form that builds a new one from a base plus
// package lists, following the build's progress lines live (`image:progress` … `image:done`).

import { useState, type FormEvent } from 'react';
import { describeError, useApi } from '../api/client';
import { useSocketEvents } from '../api/socket';
import type { AgentImage, ApiError, BuildImage, BuildImageAccepted } from '../api/wire';
import { ErrorNote } from '../components/ErrorNote';
import { formatDate, formatMegabytes, parseList } from '../format';
import { useResource } from '../useResource';

type Build = {
  tag: string;
  lines: string[];
  state: 'building' | 'done' | 'error';
  error?: string;
};

export function ImagesPage() {
  const api = useApi();
  const images = useResource(() => api.get<AgentImage[]>('/api/agents/images'), [api]);
  // Builds by tag. Progress may arrive before the POST answers with the tag, so every image
  // event is kept, and the page shows those of the builds it started.
  const [builds, setBuilds] = useState<Record<string, Build>>({});
  const [started, setStarted] = useState<string[]>([]);

  useSocketEvents((event) => {
    if (event.type !== 'image:progress' && event.type !== 'image:done' && event.type !== 'image:error') return;
    setBuilds((current) => {
      const build = current[event.tag] ?? { tag: event.tag, lines: [], state: 'building' };
      const next: Build =
        event.type === 'image:progress'
          ? { ...build, lines: [...build.lines, event.line] }
          : event.type === 'image:done'
            ? { ...build, state: 'done' }
            : { ...build, state: 'error', error: event.error };
      return { ...current, [event.tag]: next };
    });
    if (event.type === 'image:done') images.reload();
  });

  return (
    <section className="page">
      <h1>Agent images</h1>
      <div className="split">
        <div>
          <ErrorNote error={images.error} />
          {images.data && images.data.length === 0 && <p className="empty">No agent images in the engine yet.</p>}
          {images.data && images.data.length > 0 && (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Size</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {images.data.map((image) => (
                  <tr key={image.id + image.name}>
                    <td>
                      <code>{image.name}</code> {image.built_in && <span className="badge">built in</span>}
                    </td>
                    <td>{formatMegabytes(image.size)}</td>
                    <td>{formatDate(image.created)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {started.map((tag) => (
            <BuildLog key={tag} build={builds[tag] ?? { tag, lines: [], state: 'building' }} />
          ))}
        </div>
        <BuildForm
          images={images.data ?? []}
          onStarted={(tag) => setStarted((current) => [tag, ...current.filter((item) => item !== tag)])}
        />
      </div>
    </section>
  );
}

function BuildLog({ build }: { build: Build }) {
  const label = { building: 'Building…', done: 'Built', error: 'Failed' }[build.state];
  return (
    <section className="panel build-log" aria-label={`Build of ${build.tag}`}>
      <h2>
        <code>{build.tag}</code> <span className={`badge build-${build.state}`}>{label}</span>
      </h2>
      {build.error && <p className="error-text">{build.error}</p>}
      <pre className="code log" aria-live="polite">
        {build.lines.join('\n')}
      </pre>
    </section>
  );
}

function BuildForm({ images, onStarted }: { images: AgentImage[]; onStarted: (tag: string) => void }) {
  const api = useApi();
  const [name, setName] = useState('');
  const [base, setBase] = useState('');
  const [apt, setApt] = useState('');
  const [npm, setNpm] = useState('');
  const [pip, setPip] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const body: BuildImage = { name: name.trim() };
    if (base) body.base = base;
    const lists = { apt_packages: parseList(apt), npm_packages: parseList(npm), pip_packages: parseList(pip) };
    for (const [field, packages] of Object.entries(lists)) {
      if (packages.length) body[field as keyof typeof lists] = packages;
    }
    setBusy(true);
    try {
      const accepted = await api.post<BuildImageAccepted>('/api/agents/images', body);
      onStarted(accepted.tag);
      setError(null);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form panel" onSubmit={submit} aria-labelledby="build-heading">
      <h2 id="build-heading">Build an image</h2>
      <label htmlFor="image-name">Name</label>
      <input
        id="image-name"
        value={name}
        onChange={(event) => setName(event.target.value)}
        required
        aria-describedby="image-name-hint"
      />
      <span id="image-name-hint" className="hint">
        Built as <code>claude-agent-{name.trim() || '<name>'}</code>.
      </span>
      <label htmlFor="image-base">Base</label>
      <select id="image-base" value={base} onChange={(event) => setBase(event.target.value)}>
        <option value="">Default base</option>
        {images.map((image) => (
          <option key={image.id + image.name} value={image.name}>
            {image.name}
          </option>
        ))}
      </select>
      <label htmlFor="image-apt">apt packages</label>
      <input id="image-apt" value={apt} onChange={(event) => setApt(event.target.value)} placeholder="ripgrep, jq" />
      <label htmlFor="image-npm">npm packages</label>
      <input id="image-npm" value={npm} onChange={(event) => setNpm(event.target.value)} placeholder="typescript" />
      <label htmlFor="image-pip">pip packages</label>
      <input id="image-pip" value={pip} onChange={(event) => setPip(event.target.value)} placeholder="requests numpy" />
      <span className="hint">Separate package names with commas or spaces.</span>
      <ErrorNote error={error} />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Starting…' : 'Build image'}
      </button>
    </form>
  );
}
