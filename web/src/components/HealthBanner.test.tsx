import { describe, expect, it } from 'vitest';
import { healthProblems } from './HealthBanner';

describe('healthProblems', () => {
  it('says nothing when the platform is healthy', () => {
    expect(healthProblems({ ok: true, version: '0.1.0', mode: 'local', docker: null })).toEqual([]);
  });

  it('names each Docker problem with the command that fixes it', () => {
    const problems = healthProblems({
      ok: false,
      version: '0.1.0',
      mode: 'docker',
      docker: { socketConnected: true, imageAvailable: false, imageName: 'claude-agent-base', networkExists: true },
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('claude-agent-base is missing');
    expect(problems[0]).toContain('bash scripts/setup-docker.sh');
  });
});
