import { describe, expect, it } from 'vitest';
import { healthProblems } from './HealthBanner';

const apiKey = { credentials: 'api_key' as const, upstream: 'https://api.anthropic.com', problem: null };

describe('healthProblems', () => {
  it('says nothing when the platform is healthy', () => {
    expect(healthProblems({ ok: true, mode: 'local', version: '0.1.0', docker: null, model: apiKey })).toEqual([]);
  });

  it('names missing model credentials and the variable to set, even when Docker is fine', () => {
    const problems = healthProblems({
      ok: true,
      version: '0.1.0',
      mode: 'local',
      docker: null,
      model: {
        credentials: 'none',
        upstream: 'https://api.anthropic.com',
        problem: 'the platform has no model credentials: set ANTHROPIC_API_KEY',
      },
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('Model credentials: none');
    expect(problems[0]).toContain('ANTHROPIC_API_KEY');
  });

  it('names each Docker problem with the command that fixes it', () => {
    const problems = healthProblems({
      ok: false,
      version: '0.1.0',
      mode: 'docker',
      docker: { socketConnected: true, imageAvailable: false, imageName: 'claude-agent-base', networkExists: true },
      model: apiKey,
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('claude-agent-base is missing');
    expect(problems[0]).toContain('bash scripts/setup-docker.sh');
  });
});
