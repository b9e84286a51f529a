// The frame around every page: header with navigation and connection state, the health banner,
// and the routed page below.

import { NavLink, Outlet } from 'react-router-dom';
import { useSocketStatus } from '../api/socket';
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
      </header>
      <HealthBanner />
      <main className="app-main">
        <Outlet />
      </main>
    </div>
  );
}
