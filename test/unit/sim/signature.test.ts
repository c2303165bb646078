// Python argument binding for hub methods: keyword structs, defaults, and CPython's TypeError
// wording (which the hub passes on as ParameterError 1019). The recorded vectors cover an
// unexpected keyword and missing arguments; these cover the other shapes.
import { describe, expect, it } from 'vitest';
import { bind, sig } from '../../../sim/koji/signature';

const kw = (o: Record<string, unknown>) => ({ ...o, __starstar: true }) as never;

describe('bind', () => {
  const getTaskInfo = sig('RootExports.getTaskInfo', 'task_id, request=False, strict=False');

  it('fills defaults and takes the trailing __starstar struct as keywords', () => {
    expect(bind(getTaskInfo, [7, kw({ strict: true })]).args).toEqual({ task_id: 7, request: false, strict: true });
    expect(bind(getTaskInfo, [kw({ task_id: 8 })]).args).toEqual({ task_id: 8, request: false, strict: false });
    // A struct without __starstar is an ordinary positional value.
    expect(bind(getTaskInfo, [7, { strict: true } as never]).args.request).toEqual({ strict: true });
  });

  it("words errors as CPython does (bound methods count 'self')", () => {
    const fault = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return [(e as { faultCode: number }).faultCode, (e as Error).message];
      }
      return undefined;
    };
    expect(fault(() => bind(getTaskInfo, [1, 2, 3, 4]))).toEqual([1019, 'RootExports.getTaskInfo() takes from 2 to 4 positional arguments but 5 were given']);
    expect(fault(() => bind(getTaskInfo, [1, kw({ task_id: 2 })]))).toEqual([1019, "RootExports.getTaskInfo() got multiple values for argument 'task_id'"]);
    expect(fault(() => bind(getTaskInfo, []))).toEqual([1019, "RootExports.getTaskInfo() missing 1 required positional argument: 'task_id'"]);
    const two = sig('f', 'a, b');
    expect(fault(() => bind(two, []))).toEqual([1019, "f() missing 2 required positional arguments: 'a' and 'b'"]);
    expect(fault(() => bind(two, [1, 2, 3]))).toEqual([1019, 'f() takes 2 positional arguments but 3 were given']);
    expect(fault(() => bind(sig('g', ''), [1]))).toEqual([1019, 'g() takes 0 positional arguments but 1 was given']);
  });

  it('collects *args and **kwargs', () => {
    const echo = sig('RootExports.echo', '*args');
    expect(bind(echo, [1, 'x', null]).rest).toEqual([1, 'x', null]);
    const login = sig('Session.login', 'username, password, opts=None, **kw');
    expect(bind(login, ['a', 'b', kw({ opts: null, renew: true })]).extra).toEqual({ renew: true });
  });
});
