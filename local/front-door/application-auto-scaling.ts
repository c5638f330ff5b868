/**
 * Application Auto Scaling behind the front door (JSON 1.1; it has no emulator of its own):
 * the action, then what AWS checks the caller could do itself, then the local emulator
 * (local/auto-scaling.ts).
 */
import { AutoScalingError, type LocalAutoScaling } from '../auto-scaling.ts';
import { denial, type Authorizer, type Principal } from './authorizer.ts';
import { jsonAnswer, jsonError, type Call } from './http.ts';

const JSON_11 = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'AnyScaleFrontendService.';

export function autoScalingService(authorizer: Authorizer, autoScaling: LocalAutoScaling): (call: Call<Principal>, target: string) => Promise<void> {
  return async ({ res, body, principal: p }, target) => {
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    try {
      const parsed = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
      const { direct, implied } = autoScaling.checks(operation, parsed);
      const refused = authorizer.refusal(p, direct);
      if (refused) return jsonError(res, 400, 'AccessDeniedException', refused, JSON_11);
      for (const c of implied) {
        const d = authorizer.authorize(p, c, false);
        if (d.allowed || p.kind !== 'role') continue;
        if (c.action === 'iam:CreateServiceLinkedRole') return jsonError(res, 400, 'AccessDeniedException', denial(p, c, d), JSON_11);
        return jsonError(
          res,
          400,
          'ValidationException',
          `Unable to ${operation}: the caller is missing permissions on the target service or CloudWatch. ${denial(p, c, d)}`,
          JSON_11,
        );
      }
      return jsonAnswer(res, await autoScaling.handle(operation, parsed), JSON_11);
    } catch (err) {
      if (err instanceof AutoScalingError) return jsonError(res, 400, err.code, err.message, JSON_11);
      if (err instanceof SyntaxError) return jsonError(res, 400, 'SerializationException', 'request body is not JSON', JSON_11);
      throw err;
    }
  };
}
