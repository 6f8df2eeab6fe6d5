import { MethodDetail } from '../methods/MethodDetail';
import { sopKind } from './sopKind';

export default function SopDetailPage() {
  return <MethodDetail kind={sopKind} />;
}
