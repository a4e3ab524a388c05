/**
 * A second loopback certificate and key for the simulator's Kubernetes API: what its API servers
 * present after `POST /_sim/kube/rotate-certs` (as after `az aks rotate-certs`, a new cluster CA), so a
 * client that kept the first CA is refused for TLS. Self-signed for 127.0.0.1 and localhost only, made
 * once with openssl (100 years); it protects nothing and is NOT a secret.
 *
 *   openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj "/CN=Warden loopback Kubernetes API, rotated" \
 *     -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -addext "basicConstraints=critical,CA:TRUE" \
 *     -addext "keyUsage=digitalSignature,keyEncipherment,keyCertSign" -addext "extendedKeyUsage=serverAuth"
 */
export const ROTATED_CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIDhzCCAm+gAwIBAgIUJgO6XTxdJ1EgFPd55OsMkI0QRkAwDQYJKoZIhvcNAQEL
BQAwMjEwMC4GA1UEAwwnV2FyZGVuIGxvb3BiYWNrIEt1YmVybmV0ZXMgQVBJLCBy
b3RhdGVkMCAXDTI2MTIwMjA1MjMwN1oYDzIxMjYxMTA4MDUyMzA3WjAyMTAwLgYD
VQQDDCdXYXJkZW4gbG9vcGJhY2sgS3ViZXJuZXRlcyBBUEksIHJvdGF0ZWQwggEi
MA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCGaKa7uEgWLW3+nxbbgJXctp0T
6pHJPfzGX/QD+mrHVuFEPJL3tH9+MSnv82pJoHP5MgRZJzUj6b3Vtchx3fsOvsmC
Qo09lrrnwlG49vpFAaLzIA0N2tjvA4b7+61/EUwK5tVvm/7gt0w7G5DQ91ZkEeDA
KPfojDqNRnTB21TXBwrJSUL5G+fx+1X+b+G4FOTIKr0cAci/aOyHr3EaomUszleu
Qn3PaursZK5ch5T7kplNi/o5puf/6o5AdAS1z3F1znVmKrPEvZnVyJMuH4JyKBxm
li0lMkrXRcmNGHaqrynpCsd66UXeR6FG9Mdydokv1ng5+s7vcZ553M5n0DW9AgMB
AAGjgZIwgY8wHQYDVR0OBBYEFJlvvmaKzPSaTHi7JuOgez2OBhfAMB8GA1UdIwQY
MBaAFJlvvmaKzPSaTHi7JuOgez2OBhfAMBoGA1UdEQQTMBGHBH8AAAGCCWxvY2Fs
aG9zdDAPBgNVHRMBAf8EBTADAQH/MAsGA1UdDwQEAwICpDATBgNVHSUEDDAKBggr
BgEFBQcDATANBgkqhkiG9w0BAQsFAAOCAQEAYBOs0s6f0s4EyYrZuv7OMdsiDo8n
CK7I0kHhUsNBYJRs+sw8ZApXey+Xu3YdfYhE+Rd7HMOacnKY0YnqH26Eys0Hi3wd
QsZ+EemF3HzyGRalteLsG4FSHBRRppJN29PdBLsOz2Q5AGvHlouan8vZoTRMULYv
2p/AMDLDnXZqBHNBCyAILicTjHMjpu4+Kv8dn8vRVWxWOMCG38NQRzkwK0y2YU6V
7WMJ2lWDQd11EyLoWprSUIGLUUIUEM++syuMFtJEzopV5vv+jgeZ6AeB5COPp3sF
b/MGH8VHJN0Wcfh24jF7V9I3Qfq1uPfwoYEFFzdYgxQDg39AbF0f2BxSNw==
-----END CERTIFICATE-----
`;

export const ROTATED_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCGaKa7uEgWLW3+
nxbbgJXctp0T6pHJPfzGX/QD+mrHVuFEPJL3tH9+MSnv82pJoHP5MgRZJzUj6b3V
tchx3fsOvsmCQo09lrrnwlG49vpFAaLzIA0N2tjvA4b7+61/EUwK5tVvm/7gt0w7
G5DQ91ZkEeDAKPfojDqNRnTB21TXBwrJSUL5G+fx+1X+b+G4FOTIKr0cAci/aOyH
r3EaomUszleuQn3PaursZK5ch5T7kplNi/o5puf/6o5AdAS1z3F1znVmKrPEvZnV
yJMuH4JyKBxmli0lMkrXRcmNGHaqrynpCsd66UXeR6FG9Mdydokv1ng5+s7vcZ55
3M5n0DW9AgMBAAECggEAOesBohWUVp4n7lb+ggLEUTINuOXVAXtpH9B8NXSkq5ZY
Bs/1YrEQWT/1OtVQ4T43i1POxN4cy4dvCpbFM6/8fcufyLZF55q6mqDFF2exy6eb
YJnYljZOUZxa/91hU0aQVohGw8vcRlgmDLhhrHJQc1my2AsvXLGEj5kjOd/6DJf3
3TWsb4fuMXLvDrwOC6rsgWquEemBLJuYVV5i+ee85ZDZ5x26toZkd28DHH4ZV0nU
+NEIaxDN584klFEVVlKUEC90yJ692kexlGUIMJ/yDRTFLG43ygHTqqZWDJiQ5x0g
DCyYwGf/CpRU/N0njTMRs1+QuGNcf9GNl+3V6olQPwKBgQC81FT6ytullzDdE1w0
HGQegwU1YgAN2cLypM3Q3KaxEFu5BaeknkQOmvC1AVLQeOvNBByC+BDszje5Heub
0GZ7kXhf2QKjotOv82i645dAsL8/P1pl39LxAljP0T7hPSvyG4ycO+/wf9Siay3W
RZaTuxF6F8sH3ncbDLgkljNpowKBgQC2OIdlfY/WuPdLTTtLT1PIwV8iQbkANibx
wDEw2UvfI9C5SGWaJ//uWsR62Fwt37KX/nxpvnHxj8P9NiuyNKJhFUcrAxeD3p6L
Qi5qz9BLdsB/VnoKEaMyP+kl9md7jNT1yegFhHfviDeh/9vqK1whzE7IyVXY2aeI
gL4Mi/yZHwKBgFAZYdLgqjub3sZop/wS7wViXps+bvdxIBj9f7DRaIRDhCUAGRTj
bcskPmcJoK9+G8hjrhSAVe2drFWCM6dsx4wzMPS3gT8YmuNQRWTBli+Cyh1yKk58
m2ZQsIu3Hw08fZ+9v++mHSnPj8s128PA0Rbpi4hW/3DfFXcL9jDO5hAxAoGAUvTx
TxcWwN58Vt/WOrbmoeLG+MWK/7mniS/CNUb376JSh8eZ2dCUB2NzR6nwbUIGAIRv
B4UYQqz8wO5EfmDP+/q/56kEr5hN/YAnuaDaZ0Cs6kvoS2U0MtA9yHahLfIzkaJV
6w0fvQD6stnUuIr86rYkt+xRFOQiDVbvLq8cVGkCgYAPqphBukLy8e3Duy4TmJcz
djH8/rgW7kBF0LHTwNkeQdxfx/P8EtE/AxsMTY+hz0/YjKehlZ8jPvqvtgX8e/C+
+cCXaJL5jN3DPa4/KEqGBMZteovIB3ETeUdfiea0PzOFw/U0DgDRQFjn1WJJ4A5O
gZ7FbWF2TRambb9qwljfbw==
-----END PRIVATE KEY-----
`;
