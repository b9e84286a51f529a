// A dropdown of the agent images present in the engine, with an empty "default" choice.

import { useApi } from '../api/client';
import type { AgentImage } from '../api/wire';
import { useResource } from '../useResource';

export type ImageSelectProps = {
  id: string;
  value: string;
  onChange: (value: string) => void;
  defaultLabel?: string;
};

export function ImageSelect({ id, value, onChange, defaultLabel = 'Default image' }: ImageSelectProps) {
  const api = useApi();
  const images = useResource(() => api.get<AgentImage[]>('/api/agents/images'), [api]);
  const names = images.data?.map((image) => image.name) ?? [];
  // Keep a current value that the engine no longer lists selectable, so editing does not drop it.
  if (value && !names.includes(value)) names.unshift(value);
  return (
    <>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
        <option value="">{defaultLabel}</option>
        {names.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
      {images.error && <span className="hint">Images could not be listed: {images.error.error}</span>}
    </>
  );
}
