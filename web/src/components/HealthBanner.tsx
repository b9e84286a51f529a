// Polls `GET /api/health` every 15 s and, when the platform is not healthy, says what is wrong
// and how to fix it, so Docker trouble reaches the user as a banner rather than failed turns.

import { useEffect, useState } from 'react';
import { describeError, useApi, type HealthReport } from '../api/client';
import type { ApiError } from '../api/wire';

const POLL_MS = 15_000;

/** The human-readable problems a health report names. */
export function healthProblems(report: HealthReport): string[] {
  if (report.ok) return [];
  const problems: string[] = [];
  const docker = report.docker;
  if (report.mode === 'docker' && docker) {
    if (!docker.socketConnected) problems.push('The Docker socket is not connected.');
    if (!docker.imageAvailable) problems.push(`The agent image ${docker.imageName} is missing.`);
    if (!docker.networkExists) problems.push('The agent network is missing.');
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
  if (!report || report.ok) return null;
  return (
    <section className="health-banner" role="alert" aria-label="Platform health">
      <strong>Agents cannot run right now.</strong>
      <ul>
        {healthProblems(report).map((problem) => (
          <li key={problem}>{problem}</li>
        ))}
      </ul>
      {report.remediation && <p className="remediation">{report.remediation}</p>}
    </section>
  );
}
