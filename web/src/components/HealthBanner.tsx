// Polls `GET /api/health` every 15 s and, when the platform is not healthy or has no model
// credentials that can work, says what is wrong and how to fix it, so Docker or credential trouble
// reaches the user as a banner rather than failed turns.

import { useEffect, useState } from 'react';
import { describeError, useApi, type HealthReport } from '../api/client';
import type { ApiError } from '../api/wire';

const POLL_MS = 15_000;

/**
 * The human-readable problems a health report names, each with what fixes it: the health body
 * carries only flags, so the remediation text lives here, matching the platform's own messages.
 */
export function healthProblems(report: HealthReport): string[] {
  const problems: string[] = [];
  // The model's credentials: with none, every message would fail, whatever Docker says.
  if (report.model?.problem) {
    problems.push(`Model credentials: ${report.model.credentials}. ${report.model.problem}`);
  }
  if (report.ok) return problems;
  const docker = report.docker;
  if (report.mode === 'docker' && docker) {
    if (!docker.socketConnected) {
      problems.push(
        'The Docker socket is not connected: start the Docker Engine (as root: `bash scripts/setup-docker.sh`), or restart the platform with AGENT_MODE=local.',
      );
    }
    if (!docker.imageAvailable) {
      problems.push(
        `The agent image ${docker.imageName} is missing: build it with \`bash scripts/setup-docker.sh\` (or on the Images page), or set AGENT_DEFAULT_IMAGE to an image that exists.`,
      );
    }
    if (!docker.networkExists) {
      problems.push(
        'The agent network (AGENT_NETWORK) is missing: restart the platform, which creates it, or create it with `docker network create <name>`.',
      );
    }
  }
  if (report.error) problems.push(report.error);
  if (problems.length === 0) problems.push('The platform reports that it is not healthy.');
  return problems;
}

export function HealthBanner() {
  const api = useApi();
  const [report, setReport] = useState<HealthReport | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);

  useEffect(() => {
    let live = true;
    const check = () => {
      api.health().then(
        (next) => {
          if (!live) return;
          setReport(next);
          setFailure(null);
        },
        (error: unknown) => {
          if (live) setFailure(describeError(error));
        },
      );
    };
    check();
    const timer = setInterval(check, POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [api]);

  if (failure) {
    return (
      <section className="health-banner" role="alert" aria-label="Platform health">
        <strong>{failure.error}</strong>
        {failure.remediation && <p className="remediation">{failure.remediation}</p>}
      </section>
    );
  }
  if (!report) return null;
  const problems = healthProblems(report);
  if (problems.length === 0) return null;
  return (
    <section className="health-banner" role="alert" aria-label="Platform health">
      <strong>Agents cannot run right now.</strong>
      <ul>
        {problems.map((problem) => (
          <li key={problem}>{problem}</li>
        ))}
      </ul>
      {report.remediation && <p className="remediation">{report.remediation}</p>}
    </section>
  );
}
