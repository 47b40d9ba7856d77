package cli

import (
	"io"

	"github.com/spf13/cobra"

	"folio/app"
	"folio/profile"
)

func userCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "add, list, disable users; change or recover passwords"}
	var fullName string
	var roleNames []string
	add := &cobra.Command{
		Use:   "add NAME --role ROLE[,ROLE...]",
		Short: "add a user with one or more roles (their first password from FOLIO_NEW_PASSWORD or asked twice)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			roles, err := app.ParseRoles(roleNames...)
			if err != nil {
				return usageError{err}
			}
			return e.inSession(cmd.Context(), func(s *app.Session) error {
				pw, err := e.newSecret("FOLIO_NEW_PASSWORD", "password for new user "+args[0])
				if err != nil {
					return err
				}
				if err := s.Users().Add(cmd.Context(), app.User{Name: args[0], FullName: fullName, Roles: roles}, pw); err != nil {
					return err
				}
				printf(cmd.OutOrStdout(), "user %s added (%s)\n", args[0], roles.Label())
				return nil
			})
		},
	}
	add.Flags().StringArrayVar(&roleNames, "role", nil, "admin, records, scanning or clinician; several separated by commas or with --role again (the user may do what any of them allows)")
	add.Flags().StringVar(&fullName, "full-name", "", "the person's full name")
	_ = add.MarkFlagRequired("role")

	passwd := &cobra.Command{
		Use:   "passwd [NAME]",
		Short: "change your password, or (administrator) anyone's; new one from FOLIO_NEW_PASSWORD or asked",
		Args:  cobra.MaximumNArgs(1),
		RunE: e.signedIn(func(cmd *cobra.Command, args []string, s *app.Session) error {
			name := s.User().Name
			if len(args) == 1 {
				name = args[0]
			}
			pw, err := e.newSecret("FOLIO_NEW_PASSWORD", "new password for "+name)
			if err != nil {
				return err
			}
			if err := s.Users().ChangePassword(cmd.Context(), name, pw); err != nil {
				return err
			}
			printf(cmd.OutOrStdout(), "password of %s changed\n", name)
			return nil
		}),
	}

	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "list users",
		Args:  cobra.NoArgs,
		RunE: e.signedIn(func(cmd *cobra.Command, _ []string, s *app.Session) error {
			users, err := s.Users().List(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), users)
			}
			return writeTable(cmd.OutOrStdout(), "NAME\tROLES\tSTATUS\tFULL NAME", users, func(tw io.Writer, u app.User) {
				status := "active"
				if u.Disabled {
					status = "disabled"
				}
				printf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Roles, status, u.FullName)
			})
		}),
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	disable := userSetDisabled(e, "disable NAME", "disable a user: their password no longer unlocks the vault", true, "disabled")
	enable := userSetDisabled(e, "enable NAME", "enable a disabled user with a new password (FOLIO_NEW_PASSWORD or asked)", false, "enabled")
	recoverCmd := &cobra.Command{
		Use:   "recover NAME",
		Short: "set a new password with the recovery key (FOLIO_RECOVERY_KEY or asked)",
		Args:  cobra.ExactArgs(1),
		RunE: e.withProfile(func(cmd *cobra.Command, args []string, prof *profile.Profile) error {
			key, err := e.secret("FOLIO_RECOVERY_KEY", "recovery key")
			if err != nil {
				return err
			}
			pw, err := e.newSecret("FOLIO_NEW_PASSWORD", "new password for "+args[0])
			if err != nil {
				return err
			}
			if err := prof.Vault.Recover(cmd.Context(), string(key), args[0], pw); err != nil {
				return err
			}
			printf(cmd.OutOrStdout(), "password of %s reset with the recovery key\n", args[0])
			return nil
		}),
	}
	rolesCmd := &cobra.Command{
		Use:     "roles NAME ROLE...",
		Aliases: []string{"role"},
		Short:   "set the roles a user holds, one or more (or save the same ones to certify the signing key they registered); administrators only",
		Example: "  folio user roles grace records scanning\n  folio user roles admin admin,records",
		Args:    cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			roles, err := app.ParseRoles(args[1:]...)
			if err != nil {
				return usageError{err}
			}
			return e.inSession(cmd.Context(), func(s *app.Session) error {
				if err := s.Users().SetRoles(cmd.Context(), args[0], roles); err != nil {
					return err
				}
				printf(cmd.OutOrStdout(), "user %s is now %s\n", args[0], roles.Label())
				return nil
			})
		},
	}
	cmd.AddCommand(add, passwd, list, disable, enable, recoverCmd, rolesCmd)
	return cmd
}

// userSetDisabled is user disable, or with disable false user enable (the
// user enabled again needs a new password); done says which in the line
// printed.
func userSetDisabled(e *env, use, short string, disable bool, done string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: e.signedIn(func(cmd *cobra.Command, args []string, s *app.Session) error {
			var pw []byte
			if !disable {
				var err error
				if pw, err = e.newSecret("FOLIO_NEW_PASSWORD", "new password for "+args[0]); err != nil {
					return err
				}
			}
			if err := s.Users().SetDisabled(cmd.Context(), args[0], disable, pw); err != nil {
				return err
			}
			printf(cmd.OutOrStdout(), "user %s %s\n", args[0], done)
			return nil
		}),
	}
}
