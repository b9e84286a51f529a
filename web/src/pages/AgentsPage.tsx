// Agent personas: cards with their image, a form to create or edit one, and delete.

import { useState, type FormEvent } from 'react';
import { describeError, useApi } from '../api/client';
import type { Agent, ApiError, CreateAgent } from '../api/wire';
import { ErrorNote } from '../components/ErrorNote';
import { ImageSelect } from '../components/ImageSelect';
import { useResource } from '../useResource';

export function AgentsPage() {
  const api = useApi();
  const agents = useResource(() => api.get<Agent[]>('/api/agents'), [api]);
  const [editing, setEditing] = useState<Agent | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  async function remove(agent: Agent) {
    try {
      await api.del(`/api/agents/${agent.id}`);
      agents.set((list) => list?.filter((item) => item.id !== agent.id));
      if (editing?.id === agent.id) setEditing(null);
      setError(null);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setConfirming(null);
    }
  }

  function saved(agent: Agent) {
    agents.set((list) =>
      list?.some((item) => item.id === agent.id)
        ? list.map((item) => (item.id === agent.id ? agent : item))
        : [...(list ?? []), agent],
    );
    setEditing(null);
  }

  return (
    <section className="page">
      <h1>Agents</h1>
      <div className="split">
        <div>
          <ErrorNote error={agents.error} />
          <ErrorNote error={error} onDismiss={() => setError(null)} />
          <ul className="card-list">
            {agents.data?.map((agent) => (
              <li key={agent.id} className="card">
                <h2 className="card-title">
                  {agent.icon && (
                    <span className="agent-icon" aria-hidden="true">
                      {agent.icon}
                    </span>
                  )}
                  {agent.name}
                  {agent.is_default && <span className="badge">default</span>}
                </h2>
                <p className="badges">
                  <span className="badge image-badge">{agent.docker_image ?? 'default image'}</span>
                  <span className="badge cli-badge" title="The agent CLI this agent runs">
                    {agent.cli}
                  </span>
                  {agent.model && <span className="badge">{agent.model}</span>}
                  <span className="badge" title="Which projects this agent's platform tools reach">
                    {agent.tool_scope === 'all_projects' ? 'tools: all projects' : 'tools: own project'}
                  </span>
                </p>
                {agent.system_prompt && <p className="prompt-preview">{agent.system_prompt}</p>}
                <div className="actions">
                  <button type="button" className="small" onClick={() => setEditing(agent)}>
                    Edit
                  </button>
                  {confirming === agent.id ? (
                    <>
                      <button type="button" className="small danger" onClick={() => void remove(agent)}>
                        Confirm delete
                      </button>
                      <button type="button" className="small" onClick={() => setConfirming(null)}>
                        Cancel
                      </button>
                    </>
                  ) : (
                    <button
                      type="button"
                      className="small"
                      onClick={() => setConfirming(agent.id)}
                      aria-label={`Delete ${agent.name}`}
                    >
                      Delete
                    </button>
                  )}
                </div>
              </li>
            ))}
          </ul>
        </div>
        <AgentForm key={editing?.id ?? 'new'} agent={editing} onSaved={saved} onCancel={() => setEditing(null)} />
      </div>
    </section>
  );
}

type AgentFormProps = {
  agent: Agent | null;
  onSaved: (agent: Agent) => void;
  onCancel: () => void;
};

function AgentForm({ agent, onSaved, onCancel }: AgentFormProps) {
  const api = useApi();
  const [name, setName] = useState(agent?.name ?? '');
  const [systemPrompt, setSystemPrompt] = useState(agent?.system_prompt ?? '');
  const [model, setModel] = useState(agent?.model ?? '');
  const [icon, setIcon] = useState(agent?.icon ?? '');
  const [image, setImage] = useState(agent?.docker_image ?? '');
  const [toolScope, setToolScope] = useState<Agent['tool_scope']>(agent?.tool_scope ?? 'project');
  const [cli, setCli] = useState<Agent['cli']>(agent?.cli ?? 'claude');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const body: CreateAgent = { name: name.trim(), system_prompt: systemPrompt, tool_scope: toolScope, cli };
    // An empty optional field is left out, except when editing clears a value the agent had:
    // then the empty string is sent so the platform clears it.
    const optional = { model: [model.trim(), agent?.model], icon: [icon.trim(), agent?.icon], docker_image: [image, agent?.docker_image] } as const;
    for (const [field, [value, before]] of Object.entries(optional)) {
      if (value || before) body[field as keyof typeof optional] = value;
    }
    setBusy(true);
    try {
      onSaved(
        agent ? await api.put<Agent>(`/api/agents/${agent.id}`, body) : await api.post<Agent>('/api/agents', body),
      );
      setError(null);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  const heading = agent ? `Edit ${agent.name}` : 'New agent';
  return (
    <form className="form panel" onSubmit={submit} aria-label={heading}>
      <h2>{heading}</h2>
      <label htmlFor="agent-name">Name</label>
      <input id="agent-name" value={name} onChange={(event) => setName(event.target.value)} required />
      <label htmlFor="agent-prompt">System prompt</label>
      <textarea
        id="agent-prompt"
        rows={6}
        value={systemPrompt}
        onChange={(event) => setSystemPrompt(event.target.value)}
      />
      <label htmlFor="agent-cli">Agent CLI</label>
      <select id="agent-cli" value={cli} onChange={(event) => setCli(event.target.value as Agent['cli'])}>
        <option value="claude">Claude Code (claude)</option>
        <option value="codex">OpenAI Codex (codex): explore and execute modes, no ask mode</option>
      </select>
      <label htmlFor="agent-model">Model</label>
      <input
        id="agent-model"
        value={model}
        onChange={(event) => setModel(event.target.value)}
        placeholder="empty: the CLI's default"
      />
      <label htmlFor="agent-icon">Icon</label>
      <input id="agent-icon" value={icon} onChange={(event) => setIcon(event.target.value)} placeholder="an emoji" />
      <label htmlFor="agent-image">Docker image</label>
      <ImageSelect id="agent-image" value={image} onChange={setImage} />
      <label htmlFor="agent-tool-scope">Platform tools reach</label>
      <select
        id="agent-tool-scope"
        value={toolScope}
        onChange={(event) => setToolScope(event.target.value as Agent['tool_scope'])}
      >
        <option value="project">the session&apos;s own project only</option>
        <option value="all_projects">all projects (read, message and delegate anywhere)</option>
      </select>
      <ErrorNote error={error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {agent ? 'Save agent' : 'Create agent'}
        </button>
        {agent && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
