// The projects list and the form that creates one.

import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { describeError, useApi } from '../api/client';
import type { ApiError, CreateProject, Project } from '../api/wire';
import { ErrorNote } from '../components/ErrorNote';
import { ImageSelect } from '../components/ImageSelect';
import { useResource } from '../useResource';

export function ProjectsPage() {
  const api = useApi();
  const projects = useResource(() => api.get<Project[]>('/api/projects'), [api]);

  return (
    <section className="page">
      <h1>Projects</h1>
      <div className="split">
        <div>
          <ErrorNote error={projects.error} />
          {projects.data && projects.data.length === 0 && <p className="empty">No projects yet: create one.</p>}
          <ul className="card-list">
            {projects.data?.map((project) => (
              <li key={project.id} className="card">
                <h2 className="card-title">
                  <Link to={`/projects/${project.id}`}>{project.name}</Link>
                </h2>
                {project.description && <p>{project.description}</p>}
                <p className="meta">
                  <code>{project.path}</code>
                </p>
                {project.agent_image && <span className="badge">{project.agent_image}</span>}
              </li>
            ))}
          </ul>
        </div>
        <CreateProjectForm onCreated={(project) => projects.set((list) => [...(list ?? []), project])} />
      </div>
    </section>
  );
}

function CreateProjectForm({ onCreated }: { onCreated: (project: Project) => void }) {
  const api = useApi();
  const [name, setName] = useState('');
  const [path, setPath] = useState('');
  const [description, setDescription] = useState('');
  const [image, setImage] = useState('');
  const [setupScript, setSetupScript] = useState('');
  const [copyFiles, setCopyFiles] = useState('');
  const [devScript, setDevScript] = useState('');
  const [devPort, setDevPort] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const body: CreateProject = { name: name.trim() };
    if (path.trim()) body.path = path.trim();
    if (description.trim()) body.description = description.trim();
    if (image) body.agent_image = image;
    if (setupScript.trim()) body.setup_script = setupScript;
    const patterns = copyFiles
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    if (patterns.length > 0) body.copy_files = patterns;
    if (devScript.trim()) body.dev_script = devScript.trim();
    if (devPort.trim()) body.dev_port = Number(devPort);
    setBusy(true);
    try {
      const project = await api.post<Project>('/api/projects', body);
      onCreated(project);
      setName('');
      setPath('');
      setDescription('');
      setImage('');
      setSetupScript('');
      setCopyFiles('');
      setDevScript('');
      setDevPort('');
      setError(null);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form panel" onSubmit={submit} aria-labelledby="new-project-heading">
      <h2 id="new-project-heading">New project</h2>
      <label htmlFor="project-name">Name</label>
      <input id="project-name" value={name} onChange={(event) => setName(event.target.value)} required />
      <label htmlFor="project-path">Path (optional)</label>
      <input
        id="project-path"
        value={path}
        onChange={(event) => setPath(event.target.value)}
        placeholder="inside PROJECTS_ROOT; defaults to the name's slug"
      />
      <label htmlFor="project-description">Description</label>
      <textarea
        id="project-description"
        rows={3}
        value={description}
        onChange={(event) => setDescription(event.target.value)}
      />
      <label htmlFor="project-image">Agent image</label>
      <ImageSelect id="project-image" value={image} onChange={setImage} />
      <label htmlFor="project-setup-script">Setup script (optional)</label>
      <textarea
        id="project-setup-script"
        rows={3}
        value={setupScript}
        onChange={(event) => setSetupScript(event.target.value)}
        placeholder="runs once in each session before its first turn, e.g. npm ci"
      />
      <label htmlFor="project-copy-files">Files copied into new worktrees (optional)</label>
      <textarea
        id="project-copy-files"
        rows={2}
        value={copyFiles}
        onChange={(event) => setCopyFiles(event.target.value)}
        placeholder={'ignored files, one pattern a line, e.g. .env'}
      />
      <label htmlFor="project-dev-script">Dev script (optional, for previews)</label>
      <input
        id="project-dev-script"
        value={devScript}
        onChange={(event) => setDevScript(event.target.value)}
        placeholder="npm run dev -- --host 0.0.0.0 --port $PORT"
      />
      <label htmlFor="project-dev-port">Dev port (optional)</label>
      <input
        id="project-dev-port"
        type="number"
        min={1}
        max={65535}
        value={devPort}
        onChange={(event) => setDevPort(event.target.value)}
      />
      <ErrorNote error={error} />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Creating…' : 'Create project'}
      </button>
    </form>
  );
}
