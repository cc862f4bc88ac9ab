// Payloads on the runs pages: a short one is shown open (folding a four-line object only costs a
// click), a long one folded behind the Json component's "Show" control, which reveals all of it.
import { Json } from '../../components/ui/Json';

const openChars = 600;
const openLines = 16;

export function Payload({ value, label }: { value: unknown; label: string }) {
  const text = value === undefined ? '' : JSON.stringify(value, null, 2);
  const short = text.length <= openChars && text.split('\n').length <= openLines;
  return <Json value={value} label={label} open={short} />;
}
