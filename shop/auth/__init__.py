"""Who is calling: JWTs signed by the users service and verified everywhere by key id (`tokens`,
`keys`), and the staff sign-on cookie that opens every admin (`sso`).

Empty on purpose: the settings import `shop.auth.keys`, and anything imported here would load
simplejwt, which reads the settings, before they exist."""
