/**
 * The sidebar's resource list with the Dashboard above it: AdminJS links the dashboard only from the company name,
 * which staff do not read as a link. Overrides AdminJS's SidebarResourceSection, which it renders unchanged below.
 */
import { Navigation } from '@adminjs/design-system';
import { ViewHelpers } from 'adminjs';
import React from 'react';
import { useLocation, useNavigate } from 'react-router-dom';

const home = new ViewHelpers().dashboardUrl();

const SidebarResources: React.FC<{ OriginalComponent?: React.ComponentType<Record<string, unknown>> }> = ({
  OriginalComponent,
  ...props
}) => {
  const location = useLocation();
  const navigate = useNavigate();
  const here = location.pathname.replace(/\/$/, '') === home.replace(/\/$/, '');
  return (
    <>
      <Navigation
        elements={[
          {
            id: 'dashboard',
            label: 'Dashboard',
            icon: 'Home',
            href: home,
            isSelected: here,
            onClick: (event) => {
              event.preventDefault();
              navigate(home);
            },
          },
        ]}
      />
      {OriginalComponent ? <OriginalComponent {...props} /> : null}
    </>
  );
};

export default SidebarResources;
