// «Напечатать копию» in a receipt's detail: the register repeats its last document only, so kassad
// answers 409 copy_not_possible once another document was printed there; the page says so.
import { useState } from 'preact/hooks';
import { useOffice } from './context';

export function CopyButton({ receipt }: { receipt: number }) {
  const { api, notify } = useOffice();
  const [busy, setBusy] = useState(false);
  const copy = async () => {
    setBusy(true);
    try {
      const op = await api.sendOperation(api.copyReceipt(receipt));
      notify(`Чек № ${receipt}: копия напечатана на кассе ${op.register}`);
    } catch (e) {
      const code = (e as { code?: string }).code;
      notify(
        code === 'copy_not_possible'
          ? `Чек № ${receipt}: копию напечатать нельзя — касса повторяет только свой последний документ`
          : `Чек № ${receipt}: ${(e as Error).message}`,
        'bad',
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <button type="button" disabled={busy} onClick={() => void copy()} data-test="copy-receipt">
      Напечатать копию
    </button>
  );
}
