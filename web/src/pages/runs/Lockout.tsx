import { Link } from 'react-router';
import { Badge } from '../../components/Badge';
import { formatTime } from '../../components/time';
import { lapsedReason, type LapsedInstrument } from './lockout';

/** The calibration lockout: which instruments, their state and certificate. */
export function Lockout({ instruments, detail }: { instruments: LapsedInstrument[]; detail?: string }) {
  return (
    <div className="alert alert-error lockout" role="alert" data-testid="lockout">
      <strong>Calibration lockout — nothing was run.</strong>
      {detail && <div className="small">{detail}</div>}
      <ul>
        {instruments.map((i) => (
          <li key={i.id} data-testid="lockout-instrument">
            <Link to={`/instruments/${i.id}`}>{i.name}</Link> <Badge value={i.state} /> {lapsedReason(i)}
            {i.certificate_number && (
              <span>
                {' '}
                — certificate {i.certificate_number}
                {i.expires_at && `, expired ${formatTime(i.expires_at)}`}
              </span>
            )}
          </li>
        ))}
      </ul>
      <div className="small">Record a new calibration for it, then try again.</div>
    </div>
  );
}
