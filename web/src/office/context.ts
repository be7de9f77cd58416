import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api } from '../api/client';
import type { PendingStore } from '../api/keys';

export interface Office {
  api: Api;
  pending: PendingStore;
  openReceipt: (id: number) => void;
  correctReceipt: (id: number) => void; // opens the correction wizard on this receipt
  notify: (text: string, level?: 'ok' | 'bad') => void;
}

export const OfficeContext = createContext<Office | null>(null);

export function useOffice(): Office {
  const v = useContext(OfficeContext);
  if (!v) throw new Error('OfficeContext missing');
  return v;
}
