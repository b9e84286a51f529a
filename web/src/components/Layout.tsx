// The frame around every page: header with navigation, the sessions needing attention, the
// control that enables browser notifications, connection state, the health banner, and the
// routed page below.

import { NavLink, Outlet } from 'react-router-dom';
import { useSocketStatus } from '../api/socket';
import { useAttention, useNotificationPermission } from '../attention';
import { HealthBanner } from './HealthBanner';

const socketLabels = {
  open: 'Live',
  connecting: 'Connecting…',
  closed: 'Reconnecting…',
} as const;

export function Layout() {
  const status = useSocketStatus();
  return (
    <div className="app">
      <header className="app-header">
        <NavLink to="/projects" className="brand">
          Agentyard
        </NavLink>
        <nav aria-label="Main">
          <NavLink to="/projects">Projects</NavLink>
          <NavLink to="/agents">Agents</NavLink>
          <NavLink to="/images">Images</NavLink>
        </nav>
        <span className={`socket-status socket-${status}`} role="status" title="Live updates connection">
          {socketLabels[status]}
        </span>
        <AttentionSummary />
        <NotificationControl />
      </header>
      <HealthBanner />
      <main className="app-main">
        <Outlet />
      </main>
    </div>
  );
}

/** How many sessions need the user; nothing when none do. */
function AttentionSummary() {
  const count = Object.keys(useAttention()).length;
  if (count === 0) return null;
  return (
    <span className="attention-summary" data-testid="attention-summary">
      {count === 1 ? '1 session needs you' : `${count} sessions need you`}
    </span>
  );
}

/** Asks for notification permission only when clicked; says so once they are blocked. */
function NotificationControl() {
  const [permission, request] = useNotificationPermission();
  if (permission === 'default') {
    return (
      <button type="button" className="small" onClick={() => void request()}>
        Enable notifications
      </button>
    );
  }
  if (permission === 'denied') {
    return (
      <span className="hint" title="Allow notifications for this site in the browser's settings to get them">
        Notifications blocked
      </span>
    );
  }
  return null;
}
