// Who is signed in, and what they may do. The pages hide what the person's rights do not allow;
// the server checks every call regardless.
import { createContext, useContext } from 'react';
import type { Me } from './api-types';

export const SessionContext = createContext<{ me: Me; signOut(): Promise<void> } | undefined>(undefined);

export function useSession(): { me: Me; signOut(): Promise<void> } {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

/** Whether the person holds a permission somewhere (the server narrows it to workflows). */
export function useCan(permission: Me['permissions'][number]): boolean {
  return useSession().me.permissions.includes(permission);
}
